/**
 * Log lines collected and written together every `flushMs` (or once `maxBytes` are waiting): a busy node
 * logs several lines per bundle, and stdout to a file is a synchronous write(2) per call in Node, which
 * cost a node streaming 1 KiB bundles 13 % of its CPU when each line was written on its own. Used by
 * `farside bpa` and by bench/floor-node.ts, which must log exactly as the BPA does to be its floor.
 */
export interface LineBatch {
  /** Queue `text` (whole lines, each ending in "\n"). */
  push(text: string): void;
  /** Write what is queued now (the ready line, the last lines before exit). */
  flush(): void;
}

export interface LineBatchOptions {
  readonly flushMs: number;
  readonly maxBytes: number;
}

/** How `farside bpa` batches its log: at most 20 ms late, 64 KiB per write. */
export const LOG_LINE_BATCH: LineBatchOptions = { flushMs: 20, maxBytes: 64 * 1024 };

export function createLineBatch(write: (text: string) => void, options: LineBatchOptions): LineBatch {
  let pending: string[] = [];
  let pendingBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    pendingBytes = 0;
    write(text);
  };
  return {
    push(text) {
      pending.push(text);
      pendingBytes += text.length;
      if (pendingBytes >= options.maxBytes) flush();
      else timer ??= setTimeout(flush, options.flushMs);
    },
    flush,
  };
}

/** See prebuilt.js. */
export function prebuiltBpa(opts?: { readonly root?: string; readonly outDir?: string }): Promise<string | null>;

/** Every `farside` command, in the order `farside --help` lists them. */
import type { CliCommand } from '../io';

export const commands: readonly CliCommand[] = [];

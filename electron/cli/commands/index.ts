/** Every `farside` command, in the order `farside --help` lists them. */
import type { CliCommand } from '../io';
import { bpaCommand } from './bpa';

export const commands: readonly CliCommand[] = [bpaCommand];

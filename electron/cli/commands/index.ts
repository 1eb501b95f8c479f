/** Every `farside` command, in the order `farside --help` lists them. */
import type { CliCommand } from '../io';
import { bpaCommand } from './bpa';
import { bsmtpDecode, bsmtpEncode } from './bsmtp';
import { bundleDecode, bundleEncode } from './bundle';
import { contactAddCommand } from './contact';
import { demoCommand } from './demo';
import { gatewayCommand } from './gateway';
import { sendCommand } from './send';

export const commands: readonly CliCommand[] = [bundleDecode, bundleEncode, bsmtpEncode, bsmtpDecode, bpaCommand, gatewayCommand, sendCommand, contactAddCommand, demoCommand];

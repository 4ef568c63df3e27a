import { defineRegistry } from '../shared/registry.ts';
import type { Notifier } from './notifier.ts';
import { email } from './notifiers/email.ts';
import { telegram } from './notifiers/telegram.ts';
import { webhook } from './notifiers/webhook.ts';

/** Every notifier kind, once. A test checks that each file of notifiers/ is listed here. */
export const NOTIFIERS: readonly Notifier<never>[] = [
  telegram,
  email,
  webhook,
] as unknown as Notifier<never>[];

export const notifiers = defineRegistry('notifier', NOTIFIERS as unknown as readonly Notifier[]);

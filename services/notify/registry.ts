import { defineRegistry } from '../shared/registry.ts';
import type { Notifier } from './notifier.ts';
import { email } from './notifiers/email.ts';
import { telegram } from './notifiers/telegram.ts';
import { webhook } from './notifiers/webhook.ts';
import { zalo } from './notifiers/zalo.ts';

/** Every notifier kind, once. A test checks that each file of notifiers/ is listed here. */
export const NOTIFIERS: readonly Notifier<never>[] = [
  telegram,
  email,
  webhook,
  zalo,
] as unknown as Notifier<never>[];

export const notifiers = defineRegistry('notifier', NOTIFIERS as unknown as readonly Notifier[]);

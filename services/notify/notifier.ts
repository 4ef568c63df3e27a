import type { Contact } from '../../config/schema/alerts.ts';
import type { Configurable, Registered } from '../shared/registry.ts';
import type { NotifierState } from './notifier-state.ts';

/** What a notification says, rendered in the recipient's language when it is queued. */
export interface Message {
  /** The alert it is about: the acknowledge button carries it. */
  readonly alertId: number;
  /** fire, repeat, escalate, resolve, ack (what happened to the alert). */
  readonly event: string;
  readonly subject: string;
  /** Plain text, NFC, at most the notifier's maxLength (cut with an ellipsis at queue time). */
  readonly text: string;
  /** The dashboard link that acknowledges the alert; absent without alerts.publicBaseUrl. */
  readonly ackUrl?: string;
  /** Whether the message may offer an acknowledge button (not on a recovery). */
  readonly ackable: boolean;
  /** Machine-readable alert for a webhook receiver. */
  readonly data: unknown;
  /**
   * Set when the message may be sent merged with others of its hamlet (services/notify/group-message.ts):
   * the reader's language, the hamlet's name and this alert's line in the merged message.
   */
  readonly group?: { readonly locale: 'vi' | 'en'; readonly hamlet: string; readonly line: string };
}

/** The provider's word that it took the message: its id when it gives one. */
export interface Receipt {
  readonly providerId: string;
}

/** Where one notification goes: a user's contact value, or '' for a notifier with a fixed target. */
export interface Target {
  readonly address: string;
  readonly username: string | null;
}

/** Somebody pressed "Đã nhận / Acknowledge" in a provider's app. */
export interface AckPress {
  readonly alertId: number;
  /** The contact value of who pressed it (a Telegram chat id): mapped to a user by the caller. */
  readonly address: string;
  /** Returns the text shown to the person (answerCallbackQuery). */
  readonly answer: (text: string) => Promise<void>;
}

/**
 * A send that failed. `permanent`: retrying cannot help (bad address, refused content), the row is
 * set aside with its error. `retryAfterMs`: the provider said when to come back (Telegram 429).
 */
export class NotifyError extends Error {
  readonly permanent: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, opts: { permanent?: boolean; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'NotifyError';
    this.permanent = opts.permanent ?? false;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** What a notifier instance needs from the service: its named secrets, resolved at load. */
export interface NotifierContext {
  /** The value of a secret named in the config (`tokenRef: telegram-bot`); throws if absent. */
  readonly secret: (name: string) => string;
  /** The notifier's durable values (a rotated OAuth token); in memory when absent (a unit test). */
  readonly state?: NotifierState;
  /** The service's clock, epoch ms (token expiry); Date.now when absent. */
  readonly now?: () => number;
}

/** One running notifier, built from its config. Constructors only assign; no socket before a call. */
export interface NotifierInstance {
  /**
   * Optional: whether this notifier takes an alert event at all (a paid channel configured for
   * critical alerts only). Absent: every event of its communes. Asked when the event is queued.
   */
  accepts?(a: { severity: string; event: string; deviceType: string }): boolean;
  /**
   * Sends one message. Resolves with the provider's receipt only when the provider took it; throws
   * NotifyError otherwise (a timeout or abort through `signal` is a failed attempt, not a receipt).
   */
  send(message: Message, target: Target, signal: AbortSignal): Promise<Receipt>;
  /**
   * Optional: listens for acknowledge presses until `signal` aborts (Telegram: getUpdates long
   * polling, so a box behind NAT needs no public address). Never throws for a provider failure;
   * retries on its own.
   */
  listen?(onPress: (press: AckPress) => Promise<void>, signal: AbortSignal): Promise<void>;
}

/**
 * A kind of notifier (STYLE.md §2): a registry entry with its config schema. `contactField` names
 * the user contact it reaches; null for a notifier with one fixed target (a webhook), which gets
 * every alert of its communes.
 */
export interface Notifier<C = unknown> extends Registered, Configurable<C> {
  readonly contactField: keyof Contact | null;
  /** Longest text the provider takes (characters), e.g. Telegram 4096. */
  readonly maxLength: number;
  /** Names of secrets the config refers to (resolved and checked at load). */
  secretRefs(config: C): string[];
  create(config: C, ctx: NotifierContext): NotifierInstance;
}

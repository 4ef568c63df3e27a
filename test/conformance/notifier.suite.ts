import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Message, NotifyError, type Target } from '../../services/notify/notifier.ts';
import { notifiers } from '../../services/notify/registry.ts';

/** A provider for one notifier kind, real or a wire-protocol stand-in, started on loopback. */
export interface NotifierHarness {
  readonly config: unknown;
  readonly secrets: Readonly<Record<string, string>>;
  readonly target: Target;
  /** Texts the provider took, in order. */
  received(): string[];
  misbehave(mode: 'ok' | 'fail' | 'hang'): void;
  stop(): Promise<void>;
}

const TEXT = 'Cảnh báo: Đường truyền NVH ấp Suối Cát mất kết nối từ 24/11/2026 06:05';

function message(id: number): Message {
  return {
    alertId: id,
    event: 'fire',
    subject: `[Canh Xã] ${id}`,
    text: `${TEXT} #${id}`,
    ackable: true,
    data: { id },
  };
}

/**
 * The contract of every notifier (services/notify/notifier.ts): a receipt only when the provider
 * took the message, Vietnamese intact; a provider failure is a NotifyError, never a receipt; a
 * provider that hangs is given up when the signal aborts; the config schema takes its example and
 * refuses an empty config; secrets named in the config are declared.
 */
export function notifierConformance(kind: string, start: () => Promise<NotifierHarness>): void {
  describe(`notifier conformance: ${kind}`, () => {
    const n = notifiers.get(kind)!;
    let h: NotifierHarness;
    beforeAll(async () => {
      h = await start();
    });
    afterAll(() => h?.stop());
    const instance = () =>
      n.create(n.configSchema.parse(h.config), {
        secret: (name) => {
          const v = h.secrets[name];
          if (v === undefined) throw new Error(`no secret ${name}`);
          return v;
        },
      });

    it('is registered, its example passes its schema, an empty config does not', () => {
      expect(n.kind).toBe(kind);
      expect(n.configSchema.safeParse(n.exampleConfig).success).toBe(true);
      expect(n.configSchema.safeParse({}).success).toBe(false);
      expect(n.maxLength).toBeGreaterThan(100);
      expect(n.secretRefs(n.configSchema.parse(h.config)).every((r) => r in h.secrets)).toBe(true);
    });

    it('gives a receipt once the provider took the message, Vietnamese text intact', async () => {
      h.misbehave('ok');
      const receipt = await instance().send(message(1), h.target, AbortSignal.timeout(10_000));
      expect(receipt.providerId.length).toBeGreaterThan(0);
      expect(h.received().some((t) => t.includes(`${TEXT} #1`))).toBe(true);
    });

    it('throws a NotifyError, never a receipt, when the provider fails', async () => {
      h.misbehave('fail');
      const before = h.received().length;
      await expect(instance().send(message(2), h.target, AbortSignal.timeout(10_000))).rejects.toBeInstanceOf(
        NotifyError,
      );
      expect(h.received().length).toBe(before);
      h.misbehave('ok');
    });

    it('gives up on a provider that does not answer when the signal aborts', async () => {
      h.misbehave('hang');
      const started = Date.now();
      await expect(instance().send(message(3), h.target, AbortSignal.timeout(300))).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(8_000);
      h.misbehave('ok');
    });
  });
}

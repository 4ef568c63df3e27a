import { Agent } from 'node:http';
import onvif, { type Cam, type CamOptions } from 'onvif';
import { down, type ProbeResult, socketDown } from '../probe.ts';

/** A step's failure carries the verdict it means; the probe returns it, never throws it further. */
export class StepFailed extends Error {
  readonly result: ProbeResult;
  constructor(result: ProbeResult) {
    super(result.reason.code);
    this.name = 'StepFailed';
    this.result = result;
  }
}

/** Thrown when the run's signal aborted during a step. */
export class StepAborted extends Error {}

export interface Creds {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
}

/**
 * One ONVIF conversation with the `onvif` package (the client under test), callback calls turned
 * into promises that settle once. The package takes no AbortSignal, so each session has its own
 * HTTP agent, destroyed on abort or close: a hanging camera keeps no socket after its run. The
 * agent keeps its connections alive for the run: a run is eight SOAP calls, and a new TCP
 * connection for each was the camera bench's largest cost after decoding (node:net connect,
 * 8 % of the gateway's CPU over 500 cameras).
 */
export class OnvifSession {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 2 });
  readonly cam: Cam;

  constructor(
    private readonly creds: Creds,
    private readonly signal: AbortSignal,
  ) {
    this.cam = new onvif.Cam({
      hostname: creds.host,
      port: creds.port,
      username: creds.username,
      password: creds.password,
      autoconnect: false,
      agent: this.agent,
      // The runtime's signal ends a run; this only bounds a socket left without one.
      timeout: 120_000,
    } as CamOptions);
    signal.addEventListener('abort', this.close, { once: true });
  }

  readonly close = (): void => {
    this.signal.removeEventListener('abort', this.close);
    this.agent.destroy();
  };

  /** Runs one package call; a failure becomes the verdict `classify` gives it. */
  call<T>(step: string, fn: (cb: (err: Error | null, value?: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.signal.aborted) return reject(new StepAborted());
      let settled = false;
      const onAbort = () => settle(() => reject(new StepAborted()));
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        this.signal.removeEventListener('abort', onAbort);
        f();
      };
      this.signal.addEventListener('abort', onAbort, { once: true });
      try {
        fn((err, value) =>
          settle(() => (err ? reject(new StepFailed(this.classify(step, err))) : resolve(value as T))),
        );
      } catch (err) {
        // The package reads answers without checking their shape: a TypeError is a malformed answer.
        settle(() => reject(new StepFailed(this.classify(step, err as Error))));
      }
    });
  }

  private classify(step: string, err: Error & { code?: string }): ProbeResult {
    const host = `${this.creds.host}:${this.creds.port}`;
    if (typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code))
      return socketDown(err, host, 'onvif-refused');
    const msg = err.message ?? String(err);
    // ONVIF Core §5.11.2.2: a refused UsernameToken is the fault ter:NotAuthorized ("Sender not
    // authorized"); a device doing HTTP digest instead answers 401 again.
    if (/not ?authori[sz]ed|Digest authentication failed/i.test(msg))
      return down('camera-auth-refused', { service: 'onvif', user: this.creds.username });
    if (msg.startsWith('ONVIF SOAP Fault:'))
      return down('onvif-fault', { step, fault: msg.slice('ONVIF SOAP Fault:'.length).trim().slice(0, 120) });
    if (msg === 'Network timeout') return down('probe-timeout', { timeoutMs: 120_000 });
    return down('onvif-malformed', { step });
  }
}

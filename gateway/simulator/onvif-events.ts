import type { ServerResponse } from 'node:http';

/**
 * The stand-in camera's ONVIF Events service (ONVIF Core §9, WS-BaseNotification pull points):
 * GetEventProperties, CreatePullPointSubscription, PullMessages, Renew and Unsubscribe, with the two
 * properties a high-mast camera raises when someone interferes with it:
 *
 * - `tns1:VideoSource/GlobalSceneChange/ImagingService` (tamper: the view changed as a whole),
 * - `tns1:VideoSource/SignalLoss` (the sensor's video signal is gone),
 *
 * each a property with a boolean `State` (ONVIF Core §9.2.2.1: a new subscription first gets every
 * property's current value as `Initialized`, then `Changed` messages). PullMessages is held open
 * until a message is waiting or the request's Timeout passes (§9.7.2), as the firmwares do.
 */
export type EventTopic = 'tamper' | 'signal-loss';
export type EventsMode = 'ok' | 'none' | 'malformed';

const TOPICS: Record<EventTopic, string> = {
  tamper: 'tns1:VideoSource/GlobalSceneChange/ImagingService',
  'signal-loss': 'tns1:VideoSource/SignalLoss',
};

const NS =
  'xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:wsa5="http://www.w3.org/2005/08/addressing" xmlns:tns1="http://www.onvif.org/ver10/topics" xmlns:tt="http://www.onvif.org/ver10/schema"';

interface Subscription {
  readonly id: number;
  readonly queue: string[];
  terminationTs: number;
  waiting?: () => void;
}

/** A subscription lives this long unless renewed (what the onvif package asks for: PT2M). */
const TERMINATION_MS = 120_000;
/** PullMessages is held at most this long, whatever Timeout asks (the package asks PT1M). */
const MAX_HOLD_MS = 60_000;

export class StandInEvents {
  private readonly state: Record<EventTopic, boolean> = { tamper: false, 'signal-loss': false };
  private readonly subs = new Map<number, Subscription>();
  private nextId = 1;

  constructor(
    private readonly base: () => string,
    private readonly now: () => number,
    /** Wraps a SOAP body in the camera's envelope and sends it. */
    private readonly send: (res: ServerResponse, status: number, body: string) => void,
    private readonly holdMs = MAX_HOLD_MS,
  ) {}

  /** The property's new value goes to every subscription, answering a held PullMessages at once. */
  raise(topic: EventTopic, active: boolean): void {
    if (this.state[topic] === active) return;
    this.state[topic] = active;
    for (const s of this.subs.values()) this.enqueue(s, this.message(topic, 'Changed'));
  }

  active(topic: EventTopic): boolean {
    return this.state[topic];
  }

  get subscriptions(): number {
    return this.subs.size;
  }

  /** Ends every subscription (the camera rebooted or went offline); held pulls are answered empty. */
  reset(): void {
    for (const s of this.subs.values()) s.waiting?.();
    this.subs.clear();
  }

  /** Answers one events operation; false if `op` is not one. `mode` 'malformed': a broken firmware. */
  handle(op: string, xml: string, url: string, res: ServerResponse, mode: EventsMode): boolean {
    const handler = this.ops[op];
    if (!handler) return false;
    if (mode === 'malformed') {
      // A well-formed envelope that lacks what the answer must hold: the client has to cope.
      this.send(res, 200, `<tev:${op}Response ${NS}><tev:Unexpected/></tev:${op}Response>`);
      return true;
    }
    handler(xml, url, res);
    return true;
  }

  private readonly ops: Record<string, (xml: string, url: string, res: ServerResponse) => void> = {
    GetEventProperties: (_x, _u, res) =>
      this.send(
        res,
        200,
        `<tev:GetEventPropertiesResponse ${NS}><tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation><wsnt:FixedTopicSet>true</wsnt:FixedTopicSet><wstop:TopicSet xmlns:wstop="http://docs.oasis-open.org/wsn/t-1"><tns1:VideoSource><GlobalSceneChange><ImagingService wstop:topic="true"/></GlobalSceneChange><SignalLoss wstop:topic="true"/></tns1:VideoSource></wstop:TopicSet><wsnt:TopicExpressionDialect>http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet</wsnt:TopicExpressionDialect><tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter</tev:MessageContentFilterDialect></tev:GetEventPropertiesResponse>`,
      ),
    CreatePullPointSubscription: (_x, _u, res) => {
      const s: Subscription = { id: this.nextId++, queue: [], terminationTs: this.now() + TERMINATION_MS };
      this.subs.set(s.id, s);
      for (const t of Object.keys(TOPICS) as EventTopic[]) s.queue.push(this.message(t, 'Initialized'));
      this.send(
        res,
        200,
        `<tev:CreatePullPointSubscriptionResponse ${NS}><tev:SubscriptionReference><wsa5:Address>${this.base()}/onvif/Subscription?Idx=${s.id}</wsa5:Address></tev:SubscriptionReference>${this.times(s)}</tev:CreatePullPointSubscriptionResponse>`,
      );
    },
    PullMessages: (xml, url, res) => {
      const s = this.subscription(url, res);
      if (!s) return;
      const timeout = /<(?:\w+:)?Timeout>PT(\d+)([SM])</.exec(xml);
      const askedMs = timeout ? Number(timeout[1]) * (timeout[2] === 'M' ? 60_000 : 1000) : 10_000;
      let timer: NodeJS.Timeout | undefined;
      const answer = () => {
        s.waiting = undefined;
        clearTimeout(timer);
        const messages = s.queue.splice(0);
        this.send(
          res,
          200,
          `<tev:PullMessagesResponse ${NS}>${this.times(s)}${messages.join('')}</tev:PullMessagesResponse>`,
        );
      };
      if (s.queue.length > 0) return answer();
      timer = setTimeout(answer, Math.min(askedMs, this.holdMs));
      s.waiting = answer;
      res.once('close', () => {
        clearTimeout(timer);
        if (s.waiting === answer) s.waiting = undefined;
      });
    },
    Renew: (_x, url, res) => {
      const s = this.subscription(url, res);
      if (!s) return;
      s.terminationTs = this.now() + TERMINATION_MS;
      this.send(res, 200, `<wsnt:RenewResponse ${NS}>${this.times(s, 'wsnt')}</wsnt:RenewResponse>`);
    },
    Unsubscribe: (_x, url, res) => {
      const s = this.subscription(url, res);
      if (!s) return;
      this.subs.delete(s.id);
      s.waiting?.();
      this.send(res, 200, `<wsnt:UnsubscribeResponse ${NS}/>`);
    },
  };

  /** The subscription a pull-point URL names, or a fault (ONVIF Core §9.7: unknown or expired). */
  private subscription(url: string, res: ServerResponse): Subscription | undefined {
    const id = Number(/Idx=(\d+)/.exec(url)?.[1]);
    const s = this.subs.get(id);
    if (s && s.terminationTs >= this.now()) return s;
    if (s) this.subs.delete(id);
    this.send(
      res,
      400,
      '<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Receiver</SOAP-ENV:Value><SOAP-ENV:Subcode><SOAP-ENV:Value>wsrf-rw:ResourceUnknownFault</SOAP-ENV:Value></SOAP-ENV:Subcode></SOAP-ENV:Code><SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">Subscription unknown or expired</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault>',
    );
    return undefined;
  }

  private times(s: Subscription, prefix = 'tev'): string {
    const iso = (ts: number) => new Date(ts).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return `<${prefix}:CurrentTime>${iso(this.now())}</${prefix}:CurrentTime><${prefix}:TerminationTime>${iso(s.terminationTs)}</${prefix}:TerminationTime>`;
  }

  private enqueue(s: Subscription, message: string): void {
    s.queue.push(message);
    s.waiting?.();
  }

  private message(topic: EventTopic, operation: 'Initialized' | 'Changed'): string {
    const utc = new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return `<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">${TOPICS[topic]}</wsnt:Topic><wsnt:Message><tt:Message UtcTime="${utc}" PropertyOperation="${operation}"><tt:Source><tt:SimpleItem Name="Source" Value="VideoSource_1"/></tt:Source><tt:Data><tt:SimpleItem Name="State" Value="${this.state[topic]}"/></tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>`;
  }
}

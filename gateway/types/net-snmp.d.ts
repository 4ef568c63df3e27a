/**
 * The part of net-snmp (3.x, plain JavaScript, no bundled types) that the SNMP probe uses.
 * https://github.com/markabrahams/node-net-snmp#readme
 */
declare module 'net-snmp' {
  export interface Varbind {
    readonly oid: string;
    readonly type: number;
    /** Integers as numbers; Counter64 as a big-endian Buffer; OctetString as a Buffer. */
    readonly value: unknown;
  }
  export interface Session {
    get(oids: string[], cb: (err: Error | null, varbinds: Varbind[]) => void): void;
    subtree(
      oid: string,
      maxRepetitions: number,
      feed: (varbinds: Varbind[]) => boolean | undefined,
      done: (err: Error | null) => void,
    ): void;
    close(): void;
    on(event: 'error', cb: (err: Error) => void): void;
  }
  export interface SessionOptions {
    port?: number;
    retries?: number;
    timeout?: number;
    transport?: 'udp4' | 'udp6';
    version?: number;
  }
  export interface User {
    name: string;
    level: number;
    authProtocol?: number;
    authKey?: string;
    privProtocol?: number;
    privKey?: string;
  }
  const snmp: {
    Version2c: number;
    Version3: number;
    ObjectType: Record<string, number> & Record<number, string>;
    SecurityLevel: Record<'noAuthNoPriv' | 'authNoPriv' | 'authPriv', number>;
    AuthProtocols: Record<'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512', number>;
    PrivProtocols: Record<'des' | 'aes' | 'aes256b' | 'aes256r', number>;
    ResponseInvalidCode: Record<string, number>;
    createSession(target: string, community: string, options?: SessionOptions): Session;
    createV3Session(target: string, user: User, options?: SessionOptions): Session;
    isVarbindError(vb: Varbind): boolean;
    varbindError(vb: Varbind): string;
    RequestTimedOutError: new (...args: unknown[]) => Error;
    ResponseInvalidError: new (...args: unknown[]) => Error & { code: number };
  };
  export default snmp;
}

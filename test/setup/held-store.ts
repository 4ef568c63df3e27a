import type { Store } from '../../services/store/store.ts';

/**
 * Holds every write of a real store until the returned release is called: the store is then far
 * behind on purpose, so an overload test meets the pushback's marks without a flood that depends
 * on the machine's speed.
 */
export function holdStoreWrites(store: Store): () => void {
  let release: () => void = () => {};
  const latch = new Promise<void>((r) => {
    release = r;
  });
  const write = store.write.bind(store);
  store.write = async (readings) => {
    await latch;
    return write(readings);
  };
  return release;
}

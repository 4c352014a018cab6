// wasm-ipc: operating-system IPC for JavaScript threads over one shared WebAssembly memory.
export { Runtime } from './runtime';
export type { RuntimeHandle, RuntimeOptions, SpawnOptions, OpenOptions, ShmOptions, SpawnedWorker } from './runtime';
export { Segment } from './segment';
export type { SegmentOptions, SegmentData, SegmentStats, ObjectInfo, ThreadInfo } from './segment';
export { IpcObject } from './object';
export type { ObjectData } from './object';
export { SharedRegion } from './shm';
export type { FutexResult } from './shm';
export { Kind } from './kinds';
export { canBlock, hasWaitAsync } from './platform';
export {
  IpcError, TimeoutError, ClosedError, OwnerDiedError, NotRecoverableError, OutOfMemoryError,
  MessageTooLargeError, NotFoundError, KindMismatchError, AbiMismatchError, WouldBlockError,
  AlreadyExistsError, NotOwnerError, LimitError, InterruptedError, DeadPeerError,
} from './errors';

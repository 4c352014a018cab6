// wasm-ipc: operating-system IPC for JavaScript threads over one shared WebAssembly memory.
export { Runtime } from './runtime';
export type { RuntimeHandle, RuntimeOptions, SpawnOptions, OpenOptions, ShmOptions, SpawnedWorker, SemaphoreOptions, ChannelOptions, MessageQueueOptions, PortOptions } from './runtime';
export { Segment } from './segment';
export type { SegmentOptions, SegmentData, SegmentStats, ObjectInfo, ThreadInfo } from './segment';
export { IpcObject } from './object';
export type { ObjectData } from './object';
export { SharedRegion } from './shm';
export type { FutexResult } from './shm';
export { AtomicInt, AtomicInt64 } from './atomicint';
export { SpinLock, TicketLock, PetersonLock } from './spinlock';
export type { Side } from './spinlock';
export { Mutex } from './mutex';
export { Semaphore } from './semaphore';
export { MessageQueue } from './mqueue';
export type { Received, MqAttributes } from './mqueue';
export { Port, PortSet, PortMessage, ThreadPort, ThreadSender } from './port';
export type { Confirm, DeliverOptions, Delivery } from './receipt';
export { Server, Connection } from './service';
export { WorkerPool, taskSignal } from './pool';
export type { WorkerPoolOptions, RunOptions, PoolStats, Percentiles } from './pool';
export { expose, wrap, wrapSync, callOptions, currentCall, CallOptions } from './rpc';
export type { Remote, RemoteSync, CallContext, ExposeOptions, Reply } from './rpc';
// for wasm-ipc/nats, which imports them from this entry so that both share one copy of the
// library (its errors are these classes, and currentCall() sees its calls): not public API
export { Calls as _RpcCalls, methods as _rpcMethods, checkSerializable as _checkSerializable, failure as _rpcFailure, unpack as _rpcUnpack } from './rpc';
export { CondVar, Monitor } from './condvar';
export { Barrier } from './barrier';
export { RwLock } from './rwlock';
export { Snapshot } from './snapshot';
export type { SnapshotCodec, SnapshotValue } from './snapshot';
export { Once, Latch } from './once';
export { Event } from './event';
export { FramePool } from './framepool';
export { Topic, Subscription } from './topic';
export type { TopicMessage, TopicPolicy } from './topic';
export type { Frame } from './framepool';
export { Guard } from './wait';
export type { WaitOptions } from './wait';
export { Channel } from './channel';
export type { Reservation } from './channel';
export { select, selectAsync, trySelect, sendCase } from './select';
export { Pipe, PipeReader, PipeWriter, PIPE_BUF } from './pipe';
export type { Selected, SendCase, Case } from './select';
export { bytesCodec, stringCodec, jsonCodec, msgpackCodec } from './codec';
export { rpcCodec } from './rpc-codec';
export type { Codec, CodecName } from './codec';
export { Kind } from './kinds';
export { canBlock, hasWaitAsync } from './platform';
export {
  IpcError, TimeoutError, ClosedError, OwnerDiedError, NotRecoverableError, OutOfMemoryError,
  MessageTooLargeError, NotFoundError, KindMismatchError, AbiMismatchError, WouldBlockError,
  AlreadyExistsError, NotOwnerError, LimitError, InterruptedError, DeadPeerError, DeadlockError, CorruptedError,
} from './errors';
export { serveView, mountView, viewState } from './view';
export type { ViewState, ViewOptions, ServeViewOptions, ViewServer } from './view';

// wasm-ipc/nats: the library's objects across processes and machines, over a NATS cluster.
// `await Bridge.connect(rt, { servers, name })`, then bridge.channel / topic / messageQueue /
// port / workerPool. One module per kind in this directory, each with its semantics at its top.
// The library itself (errors, codecs, Runtime) is imported from the package's main entry, so
// both entries share one copy of it (the build keeps '../index' external).
export { Bridge } from './bridge';
export type { BridgeOptions } from './bridge';
export { BridgedChannel } from './channel';
export type { BridgedChannelOptions, SendOptions, TakenMessage, ChannelInfo } from './channel';
export { BridgedPort } from './port';
export type { BridgedPortMessage } from './port';
export { expose, wrap } from './rpc';
export { BridgedTopic, BridgedSubscription } from './topic';
export type { BridgedTopicMessage } from './topic';
export { BridgedBlockingTopic, BlockingSubscription } from './topic-block';
export type { BlockingTopicOptions } from './topic-block';
export { BridgedMessageQueue } from './mqueue';
export type { BridgedReceived, BridgedMqOptions } from './mqueue';
export { BridgedPool } from './pool';
export type { BridgedPoolOptions } from './pool';
export { checkName } from './naming';

// The breakdown's build of the library (bench/breakdown.mjs): the public API, the profile
// books (ts/profile.ts) and the RPC serving step, built with __PROFILE__ true.
export * from '../../ts/index';
export { profile } from '../../ts/profile';
export { Calls, serve } from '../../ts/rpc';

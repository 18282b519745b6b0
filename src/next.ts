// `withImageInvalidate(nextConfig, options)` in next.config: see ./plugin/next.ts.
export { withImageInvalidate, withImageInvalidate as default, type NextConfigFunction } from './plugin/next.js'
export type { Options } from './types.js'

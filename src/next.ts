// `withImageInvalidate(nextConfig, options)` in next.config: see ./build/next.ts.
export { withImageInvalidate, withImageInvalidate as default, type NextConfigFunction } from './build/next.js'
export type { Options } from './types.js'

// `withImageInvalidate(nextConfig, options)` in next.config: see ./build/next.ts.
export { withImageInvalidate, withImageInvalidate as default } from './build/next.js'

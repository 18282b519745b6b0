import { unplugin } from './plugin/unplugin.js'

/** The rollup plugin, for rollup.config.js: `plugins: [imageInvalidate()]`. */
export default unplugin.rollup
export type { Options } from './types.js'

import { unplugin } from './plugin/unplugin.js'

/** The rspack plugin, for rspack.config.js: `plugins: [imageInvalidate()]`. */
export default unplugin.rspack
export type { Options } from './types.js'

import { unplugin } from './plugin/unplugin.js'

/** The webpack plugin, for webpack.config.js: `plugins: [imageInvalidate()]`. */
export default unplugin.webpack
export type { Options } from './types.js'

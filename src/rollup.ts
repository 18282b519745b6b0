import { unplugin } from './index.js'

/** The rollup plugin, for rollup.config.js: `plugins: [imageInvalidate()]`. */
export default unplugin.rollup

import { unplugin } from './index.js'

/** The webpack plugin, for webpack.config.js: `plugins: [imageInvalidate()]`. */
export default unplugin.webpack

// `unplugin-image-invalidate/routes`: the route handlers alone, and what they need. A route bundled by its
// framework (Next.js with Turbopack, the default, bundles what a route imports) then takes no bundler code:
// the package root re-exports the unplugin instance, whose webpack adapter requires `webpack`, which an app
// without it cannot resolve. Each handler loads its work (the HTTP client, a provider) on its first request.

export { createWebhookHandler, verifySignature } from './apply/webhook.js'
export { createAssetWebhookHandler } from './remote/asset-webhook.js'
export { createRemoteCheckHandler } from './remote/cron-route.js'
export { ImageInvalidateError, type ImageInvalidateErrorCode } from './core/errors.js'
export type {
  ApplyReport,
  AssetRemotePattern,
  AssetWebhookAsset,
  AssetWebhookOptions,
  AssetWebhookProvider,
  CheckRemoteReport,
  FailedImage,
  RemoteCheckHandlerOptions,
  RemoteStateStore,
  WebhookOptions,
} from './types.js'

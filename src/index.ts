// The public API of `unplugin-image-invalidate`: re-exports only. Each bundler has its own entry
// (`/vite`, `/webpack`, `/rspack`, `/rollup`, `/esbuild`), and each framework too (`/next`, `/astro`, `/nuxt`).

export { unplugin as default, unplugin, unpluginFactory } from './plugin/unplugin.js'
export { apply, checkRemote, loadManifest, planBuild } from './api.js'
export { createRemoteCheckHandler } from './remote/cron-route.js'
export { createWebhookHandler, verifySignature } from './apply/webhook.js'
export { createAssetWebhookHandler } from './remote/asset-webhook.js'
export { resolveBuildOptions, type BuildContext, type ResolvedBuildOptions } from './plugin/options.js'
export type { BuildPlanResult, LinkCycle } from './plugin/plan-build.js'
export { StrictModeError } from './plugin/strict-mode-error.js'
export { ImageInvalidateError, type ImageInvalidateErrorCode } from './core/errors.js'
export type { ImageDiff } from './core/diff.js'
export type { FileDigest, HashFailure } from './core/hash.js'
export { MANIFEST_FILE_NAME, ManifestError, parseManifest, serializeManifest, type InvalidationPlan, type Manifest, type ParseLimits } from './core/manifest.js'
export type {
  ApplyOptions,
  ApplyReport,
  AssetRemotePattern,
  AssetWebhookAsset,
  AssetWebhookOptions,
  AssetWebhookProvider,
  BatchRecord,
  FailedImage,
  NextOptions,
  Options,
  PreflightCheck,
  PreviousVia,
  WebhookOptions,
} from './types.js'
export type { CheckRemoteOptions, CheckRemoteReport, RemoteCheckHandlerOptions, RemoteImagesOptions, RemoteStateStore } from './types.js'
export type { RemoteFingerprint, RemoteImages } from './core/remote-images.js'
export type { LoadManifestOptions, ManifestLoad } from './shared/load-manifest.js'
export type { Logger } from './shared/format.js'

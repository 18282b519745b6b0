import type { BuildPlanResult } from './plugin/plan-build.js'
import type { ResolvedBuildOptions } from './plugin/options.js'
import type { Logger } from './shared/format.js'
import type { LoadManifestOptions, ManifestLoad } from './shared/load-manifest.js'
import type { ApplyOptions, ApplyReport, CheckRemoteOptions, CheckRemoteReport } from './types.js'

// The public functions of each phase. Each loads its code on first call, so that importing the package (a
// route that only builds a webhook handler, a config read by `next dev`) does not load the hashing or the
// HTTP client.

/**
 * Phase 2, at a production flip: waits until production serves the new deployment, then invalidates what
 * changed, went or appeared since the one live before. Resolves to the report `image-invalidate apply --json`
 * prints; never throws for an expected failure.
 */
export async function apply(options?: ApplyOptions): Promise<ApplyReport> {
  return (await import('./apply/apply.js')).apply(options)
}

/**
 * Phase 1 for a bundler or framework this package has no entry for: hash the public images, compare them
 * with the baseline, write the manifest into `outputDirs` and the local plan file. Options come from
 * `resolveBuildOptions`. Resolves to undefined when the plugin is off; warns rather than throws unless
 * `strict` is set.
 */
export async function planBuild(options: ResolvedBuildOptions, outputDirs: readonly string[], logger: Logger): Promise<BuildPlanResult | undefined> {
  return (await import('./plugin/plan-build.js')).planBuild(options, outputDirs, logger)
}

/** Loads a manifest from an `http(s)://` URL or a file path. Never throws: every outcome is a `ManifestLoad`. */
export async function loadManifest(source: string, options?: LoadManifestOptions): Promise<ManifestLoad> {
  return (await import('./shared/load-manifest.js')).loadManifest(source, options)
}

/**
 * Between deploys: re-fingerprints the remote images the live deployment shows and invalidates those whose
 * bytes changed, each change once (the state is kept in `options.store`). Resolves to the report
 * `image-invalidate check-remote --json` prints; never throws for an expected failure.
 */
export async function checkRemote(options: CheckRemoteOptions): Promise<CheckRemoteReport> {
  return (await import('./remote/check-remote.js')).checkRemote(options)
}

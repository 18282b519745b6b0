import { existsSync } from 'node:fs'
import path from 'node:path'
import { ImageInvalidateError } from '../core/errors.js'
import { manifestUrl, type Manifest } from '../core/manifest.js'
import { isUrl } from '../core/url.js'
import { loadManifest, type ManifestLoad } from '../shared/load-manifest.js'
import type { VercelClient } from './client.js'

/** How to reach deployments' manifests: the headers to send, where under each origin, and the API to find a deployment's URL. */
export interface ManifestAccess {
  /** Sent with every request (protection bypass). */
  headers: Record<string, string>
  basePath: string
  /** Needed to find a deployment's URL from its id. */
  client: VercelClient | undefined
}

/**
 * A manifest named by the caller (`--from`, `--plan`): a deployment id (`dpl_…`), a URL (a deployment or
 * site origin, or the manifest's own URL), or a file. Throws an `ImageInvalidateError` saying why it cannot be had.
 */
export async function loadNamedManifest(name: string, access: ManifestAccess, root: string): Promise<Manifest> {
  let source: string
  if (isUrl(name)) source = new URL(name).pathname.endsWith('.json') ? name : manifestUrl(new URL(name).origin, access.basePath)
  else if (!existsSync(path.resolve(root, name)) && /^dpl_[A-Za-z0-9]+$/.test(name)) return loadDeploymentManifest(name, access)
  else source = path.resolve(root, name)
  return loadOrThrow(source, access)
}

/** The manifest a deployment serves, found from its id through `GET /v13/deployments/{id}`. */
export async function loadDeploymentManifest(id: string, access: ManifestAccess): Promise<Manifest> {
  if (!access.client) throw unavailable(`deployment ${id} cannot be looked up without a Vercel token and project`)
  const deployment = await access.client.getDeployment(id)
  if (!deployment.url) throw unavailable(`Vercel gave no URL for deployment ${id}`)
  return loadOrThrow(manifestUrl(deployment.url, access.basePath), access)
}

async function loadOrThrow(source: string, access: ManifestAccess): Promise<Manifest> {
  const loaded = await loadManifest(source, { headers: access.headers, fresh: isUrl(source) })
  if (loaded.kind === 'found') return loaded.manifest
  const why = loaded.kind === 'missing' ? `has no manifest (${loaded.reason}; a deployment built before this plugin, or deleted)` : loaded.reason
  throw new ImageInvalidateError(manifestLoadCode(loaded.kind), `${source} ${why}`)
}

const unavailable = (message: string) => new ImageInvalidateError('IMAGE_INVALIDATE_MANIFEST_UNAVAILABLE', message)

/** The code of a manifest that could not be loaded: something that is not a manifest, or nothing to read. */
export function manifestLoadCode(kind: Exclude<ManifestLoad['kind'], 'found'>): 'IMAGE_INVALIDATE_MANIFEST_INVALID' | 'IMAGE_INVALIDATE_MANIFEST_UNAVAILABLE' {
  return kind === 'invalid' ? 'IMAGE_INVALIDATE_MANIFEST_INVALID' : 'IMAGE_INVALIDATE_MANIFEST_UNAVAILABLE'
}

import type { Manifest } from '../core/manifest.js'
import type { PreviousVia } from '../types.js'
import { loadDeploymentManifest, loadNamedManifest, type ManifestAccess } from '../vercel/deployment-manifests.js'
import type { AliasRequest } from '../vercel/client.js'

/** The deployment production served before the flip (P), and its manifest. */
export interface PreviousDeployment {
  via: PreviousVia
  manifest: Manifest
}

export interface PreviousClues {
  /** `--from`: named by the caller. */
  from: string | undefined
  /** How the caller knew `from`, for the report (a webhook event names it). Default: '--from'. */
  fromVia?: PreviousVia
  /** The last other deployment the production site was seen serving while the flip was awaited. */
  seenBefore: Manifest | undefined
  /** The last other deployment production was seen serving through the API while the flip was awaited. */
  productionBefore: string | undefined
  /** D's deployment id, to match with the project's `lastAliasRequest`. */
  deploymentId: string | undefined
  root: string
}

/**
 * P, in this order: `--from`; what the site served before the flip; what the API said production served
 * before the flip; the project's `lastAliasRequest` when it led to D. Undefined, with a line saying why, when
 * none of them gives a manifest: the caller then falls back to the build-time plan.
 */
export async function findPrevious(clues: PreviousClues, access: ManifestAccess, log: (line: string) => void): Promise<PreviousDeployment | undefined> {
  const fallBack = (why: string) => {
    log(`the previous deployment could not be determined (${why}): using the build-time plan`)
    return undefined
  }
  if (clues.from) {
    try {
      return { via: clues.fromVia ?? '--from', manifest: await loadNamedManifest(clues.from, access, clues.root) }
    } catch (error) {
      return fallBack(`--from ${clues.from}: ${(error as Error).message}`)
    }
  }
  if (clues.seenBefore) return { via: 'the production site before the flip', manifest: clues.seenBefore }
  if (clues.productionBefore) {
    try {
      return { via: 'production before the flip', manifest: await loadDeploymentManifest(clues.productionBefore, access) }
    } catch (error) {
      return fallBack(`production served ${clues.productionBefore} before the flip: ${(error as Error).message}`)
    }
  }
  if (!clues.deploymentId || !access.client) return fallBack('no --from, and the site was not seen serving another deployment')
  try {
    const flip = (await access.client.getProject()).lastAliasRequest
    const why = whyNotPrevious(flip, clues.deploymentId)
    if (why) return fallBack(`no --from, the site was not seen before the flip, and the project's last promotion or rollback ${why}`)
    return { via: 'lastAliasRequest', manifest: await loadDeploymentManifest(flip!.fromDeploymentId!, access) }
  } catch (error) {
    return fallBack((error as Error).message)
  }
}

/**
 * Why `lastAliasRequest` does not name the deployment live before D, or undefined when it does: it must
 * lead to D, name where it came from, and have succeeded or be under way (a failed or skipped promotion
 * did not make D live).
 */
function whyNotPrevious(flip: AliasRequest | undefined, deploymentId: string): string | undefined {
  if (flip?.toDeploymentId !== deploymentId) return `did not lead to ${deploymentId}`
  if (flip.jobStatus !== 'succeeded' && flip.jobStatus !== 'in-progress')
    return `toward ${deploymentId} has jobStatus ${flip.jobStatus ?? 'unknown'}, not succeeded or in-progress`
  if (!flip.fromDeploymentId) return `toward ${deploymentId} names no deployment it came from`
  return undefined
}

/**
 * After a rolling release toward D ended without it, P is the deployment production serves now: D served
 * some visitors meanwhile, so the variants cached of D's bytes are what must go. Undefined, said, when its
 * manifest cannot be read: P is then found as after any flip.
 */
export async function loadRolloutBase(
  id: string,
  deploymentId: string,
  access: ManifestAccess,
  log: (line: string) => void,
): Promise<PreviousDeployment | undefined> {
  log(
    `the rolling release toward ${deploymentId} ended without it: production serves ${id}; ${deploymentId} served some visitors meanwhile, so what differs between the two is invalidated now`,
  )
  try {
    return { via: 'production after the rolling release ended', manifest: await loadDeploymentManifest(id, access) }
  } catch (error) {
    log(`the manifest of ${id} could not be read (${(error as Error).message})`)
    return undefined
  }
}

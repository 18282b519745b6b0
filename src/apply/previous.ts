// P, the deployment production served before the flip: `choosePrevious` (core) decides; this fetches what it
// asks for, lazily, so that a run named by --from never reads the project.
import { choosePrevious, type Outcome, type PreviousClues, type PreviousDecision, type PreviousLookups } from '../core/choose-previous.js'
import { failureOf } from '../core/errors.js'
import type { Manifest } from '../core/manifest.js'
import { loadDeploymentManifest, loadNamedManifest, type ManifestAccess } from '../vercel/deployment-manifests.js'

/** P as `choosePrevious` decides it, each manifest and the project's last promotion fetched when it asks. */
export async function loadPrevious(clues: Omit<PreviousClues, 'apiKnown'>, access: ManifestAccess, root: string): Promise<PreviousDecision> {
  const { client } = access
  const lookups: PreviousLookups = { manifests: {} }
  for (;;) {
    const step = choosePrevious({ ...clues, apiKnown: client !== undefined }, lookups)
    if ('decided' in step) return step.decided
    if (step.need === 'last-alias-request') {
      lookups.lastAliasRequest = client ? await outcomeOf(async () => (await client.getProject()).lastAliasRequest) : { failed: 'no Vercel token' }
    } else {
      const { source, name } = step
      const load = (): Promise<Manifest> => (source === 'given' ? loadNamedManifest(name, access, root) : loadDeploymentManifest(name, access))
      lookups.manifests[source] = await outcomeOf(load)
    }
  }
}

async function outcomeOf<T>(fetch: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { value: await fetch() }
  } catch (error) {
    return { failed: failureOf(error).message }
  }
}

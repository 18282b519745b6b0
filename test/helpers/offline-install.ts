import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'

interface LockEntry {
  version?: string
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  [field: string]: unknown
}

/**
 * The entries of this repository's lock that installing `dependencies` needs (their dependencies, optional
 * ones that are there, and required peers), by their place in the hoisted layout (`node_modules/a`,
 * `node_modules/a/node_modules/b`).
 */
export async function lockClosure(repoRoot: string, dependencies: Record<string, string>): Promise<Record<string, LockEntry>> {
  const repoLock = JSON.parse(await readFile(path.join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }
  const entries: Record<string, LockEntry> = {}
  // Node's resolution over the hoisted layout: the nearest node_modules/<name> up from where it is needed.
  const locate = (from: string, name: string): string | undefined => {
    for (let at = from; ;) {
      const candidate = `${at ? `${at}/` : ''}node_modules/${name}`
      if (repoLock.packages[candidate]) return candidate
      if (!at) return undefined
      const cut = at.lastIndexOf('/node_modules/')
      at = cut < 0 ? '' : at.slice(0, cut)
    }
  }
  const visit = (from: string, deps: Record<string, string>, optional: (name: string) => boolean) => {
    for (const name of Object.keys(deps)) {
      const key = locate(from, name)
      if (!key) {
        if (optional(name)) continue
        throw new Error(`the repository's lock has no ${name} (needed by ${from || 'the project'})`)
      }
      if (entries[key]) continue
      const entry = repoLock.packages[key]!
      const { dev, devOptional, peer, ...rest } = entry as LockEntry & { dev?: unknown; devOptional?: unknown; peer?: unknown }
      void dev
      void devOptional
      void peer
      entries[key] = rest
      visit(key, entry.dependencies ?? {}, () => false)
      visit(key, entry.optionalDependencies ?? {}, () => true)
      const peers = entry.peerDependencies ?? {}
      const required = Object.fromEntries(Object.entries(peers).filter(([peerName]) => !entry.peerDependenciesMeta?.[peerName]?.optional))
      visit(key, required, () => true)
    }
  }
  visit('', dependencies, () => false)
  return entries
}

/**
 * A package-lock.json for a new project that depends on `packages` (name -> version range) and on a local
 * tarball, taken from this repository's own lock: every entry `npm ci` will want is one this repository's
 * `npm ci` already put in the npm cache, so `npm ci --offline` installs it with no network at all.
 */
export async function writeOfflineLock(
  projectDir: string,
  repoRoot: string,
  tarball: { name: string; version: string; file: string; integrity: string; dependencies: Record<string, string>; bin?: Record<string, string> },
  packages: Record<string, string>,
): Promise<void> {
  const entries = await lockClosure(repoRoot, { ...tarball.dependencies, ...packages })
  const lock = {
    name: 'consumer',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'consumer', version: '1.0.0', dependencies: { [tarball.name]: `file:${tarball.file}`, ...packages } },
      [`node_modules/${tarball.name}`]: {
        version: tarball.version,
        resolved: `file:${tarball.file}`,
        integrity: tarball.integrity,
        dependencies: tarball.dependencies,
        // npm links commands from the lock's entry.
        bin: tarball.bin,
      },
      ...entries,
    },
  }
  await writeFile(path.join(projectDir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`)
}

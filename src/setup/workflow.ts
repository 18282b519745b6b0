import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FileChange } from './files.js'

/** Where the GitHub workflow goes, below the repository's root: GitHub runs no workflow from anywhere else. */
export const WORKFLOW_FILE = '.github/workflows/invalidate-images.yml'

/** The lock file the workflow's `npm ci` and setup-node's npm cache read. */
const LOCK_FILE = 'package-lock.json'

/** Where the workflow goes for the app at `appRoot`, and where its steps run. */
export interface WorkflowPlace {
  /** The git work tree's root (the first folder up from the app with a `.git`); undefined outside git. */
  repoRoot: string | undefined
  /** The folder whose `.github/workflows` holds the workflow: the repository's root, else the app's own. */
  base: string
  /** The app's folder relative to `base`, with `/`: '' when the app is at the root. */
  appFolder: string
  /** The folder of the nearest package-lock.json from the app up to `base`, relative to `base`; undefined when none. */
  lockFolder: string | undefined
}

/** The first folder from `start` up whose `.git` is there (a folder, or the file of a worktree or submodule). */
export function gitRootOf(start: string): string | undefined {
  for (let folder = path.resolve(start); ; folder = path.dirname(folder)) {
    if (existsSync(path.join(folder, '.git'))) return folder
    if (folder === path.dirname(folder)) return undefined
  }
}

export function workflowPlace(appRoot: string): WorkflowPlace {
  const app = path.resolve(appRoot)
  const repoRoot = gitRootOf(app)
  const base = repoRoot ?? app
  const relative = (folder: string) => path.relative(base, folder).split(path.sep).join('/')
  let lockFolder: string | undefined
  for (let folder = app; ; folder = path.dirname(folder)) {
    if (existsSync(path.join(folder, LOCK_FILE))) {
      lockFolder = relative(folder)
      break
    }
    if (folder === base || folder === path.dirname(folder)) break
  }
  return { repoRoot, base, appFolder: relative(app), lockFolder }
}

/**
 * The GitHub workflow for the app (examples/github-workflow.yml, shipped in dist/) at the repository's root,
 * unless one is there already (`existing`). For an app below the root, its steps run in the app's folder
 * (`defaults.run.working-directory`), `npm ci` where the lock file is, and setup-node caches by that lock.
 */
export function githubWorkflow(appRoot: string): { place: WorkflowPlace; change?: FileChange; existing?: string } {
  const place = workflowPlace(appRoot)
  const file = path.join(place.base, WORKFLOW_FILE)
  if (existsSync(file)) return { place, existing: file }
  return { place, change: { file, before: undefined, after: workflowFor(place, readFileSync(workflowTemplate(), 'utf8')) } }
}

/** The template as it is for an app at the root with its lock there; else with where each step runs. */
export function workflowFor(place: Pick<WorkflowPlace, 'appFolder' | 'lockFolder'>, template: string): string {
  const { appFolder, lockFolder } = place
  let text = template
  if (appFolder !== '') {
    text = insertAfter(
      text,
      '    timeout-minutes: 15\n',
      `    # The app is in ${appFolder} (a monorepo): its run steps run there.\n    defaults:\n      run:\n        working-directory: ${appFolder}\n`,
    )
  }
  if (lockFolder !== undefined && lockFolder !== '')
    text = insertAfter(text, '          cache: npm\n', `          cache-dependency-path: ${lockFolder}/${LOCK_FILE}\n`)
  // The lock above the app (npm workspaces): install where it is.
  if (lockFolder !== undefined && lockFolder !== appFolder)
    text = insertAfter(text, '      - run: npm ci\n', `        working-directory: ${lockFolder || '.'}\n`)
  return text
}

function insertAfter(text: string, anchor: string, addition: string): string {
  const at = text.indexOf(anchor)
  // The template is this package's own: a missing anchor is a bug of the package, not of the app.
  if (at < 0) throw new Error(`the workflow template has no line ${JSON.stringify(anchor.trim())}`)
  return text.slice(0, at + anchor.length) + addition + text.slice(at + anchor.length)
}

/** Beside the built chunks in dist/ (tsdown copies it there), or in examples/ when run from the sources. */
function workflowTemplate(): string {
  const built = fileURLToPath(new URL('./github-workflow.yml', import.meta.url))
  return existsSync(built) ? built : fileURLToPath(new URL('../../examples/github-workflow.yml', import.meta.url))
}

/** The workflow of the repository that runs `image-invalidate apply`, if any: what `doctor` takes as the GitHub way. */
export function findApplyWorkflow(appRoot: string): string | undefined {
  const folder = path.join(workflowPlace(appRoot).base, '.github', 'workflows')
  if (!existsSync(folder)) return undefined
  return readdirSync(folder)
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => path.join(folder, name))
    .find((file) => readFileSync(file, 'utf8').includes('image-invalidate apply'))
}

import { readFileSync } from 'node:fs'
import path from 'node:path'
import { recordOf, textOf } from '../core/json.js'
import { nonEmpty, type Env } from '../shared/environment.js'
import type { VercelTarget } from './client.js'
import type { ApplyOptions } from '../types.js'

/** `.vercel/project.json`, written by `vercel link`: the project and its owner (a `team_` id is a team). */
export interface VercelProjectLink {
  projectId?: string
  orgId?: string
}

export function readVercelProjectLink(root: string): VercelProjectLink {
  try {
    const data = recordOf(JSON.parse(readFileSync(path.join(root, '.vercel', 'project.json'), 'utf8')))
    return { projectId: textOf(data?.projectId), orgId: textOf(data?.orgId) }
  } catch {
    return {}
  }
}

/** What the caller may say of the target: the options of `apply()` that name it. */
export type VercelTargetInput = Pick<ApplyOptions, 'token' | 'projectId' | 'teamId' | 'teamSlug' | 'apiUrl'>

const DEFAULT_API_URL = 'https://api.vercel.com'

/** The project and team phase 2 acts for, where they are known: what the webhook compares events with. */
export type ConfiguredProject = Partial<Pick<VercelTarget, 'projectId' | 'teamId' | 'teamSlug'>>

/**
 * The project and team, each from the option, else the environment, else `.vercel/project.json`. The one
 * source of both for `apply()`, the CLI and the webhook.
 */
export function resolveConfiguredProject(input: VercelTargetInput, root: string, env: Env): ConfiguredProject {
  const link = readVercelProjectLink(root)
  const projectId = nonEmpty(input.projectId) ?? nonEmpty(env.VERCEL_PROJECT_ID) ?? link.projectId
  return { projectId, ...resolveTeam(input, env, link) }
}

/**
 * The project, token and API origin for phase 2: options > environment > `.vercel/project.json`.
 * Returns the problem, with its code and one sentence that never contains the token, when something is missing.
 */
export function resolveVercelTarget(input: VercelTargetInput, root: string, env: Env = process.env): VercelTarget | TargetProblem {
  const token = nonEmpty(input.token) ?? nonEmpty(env.VERCEL_TOKEN)
  if (!token) return NO_TOKEN
  const badToken = tokenProblem(token)
  if (badToken) return badToken
  const { projectId, ...team } = resolveConfiguredProject(input, root, env)
  if (!projectId) return NO_PROJECT
  const apiUrl = resolveApiUrl(input, env)
  const problem = apiUrlProblem(apiUrl)
  if (problem) return { code: 'IMAGE_INVALIDATE_API_URL_REFUSED', problem }
  return { token, projectId, ...team, apiUrl: new URL(apiUrl).origin }
}

export const NO_TOKEN: TargetProblem = {
  code: 'IMAGE_INVALIDATE_NO_TOKEN',
  problem: 'no Vercel token: set VERCEL_TOKEN (an access token with access to the project)',
}
export const NO_PROJECT: TargetProblem = {
  code: 'IMAGE_INVALIDATE_NO_PROJECT',
  problem: 'no Vercel project: set VERCEL_PROJECT_ID, or run `vercel link` to write .vercel/project.json',
}

/** Why a token cannot be used, if it cannot, never echoing it. */
export function tokenProblem(token: string): TargetProblem | undefined {
  // A token with a line break or space (a bad copy-paste) cannot go in a header; say so without echoing it.
  if (!/^[\x21-\x7e]+$/.test(token))
    return { code: 'IMAGE_INVALIDATE_TOKEN_UNUSABLE', problem: 'the Vercel token contains spaces or characters that cannot be sent in a header' }
  return undefined
}

/** The API origin as configured: the option, `IMAGE_INVALIDATE_API_URL`, else Vercel's. */
export function resolveApiUrl(input: VercelTargetInput, env: Env): string {
  return nonEmpty(input.apiUrl) ?? nonEmpty(env.IMAGE_INVALIDATE_API_URL) ?? DEFAULT_API_URL
}

/** Why phase 2 cannot reach the API as configured: a stable code and one sentence, never with the token. */
export interface TargetProblem {
  code: 'IMAGE_INVALIDATE_NO_TOKEN' | 'IMAGE_INVALIDATE_TOKEN_UNUSABLE' | 'IMAGE_INVALIDATE_NO_PROJECT' | 'IMAGE_INVALIDATE_API_URL_REFUSED'
  problem: string
}

/**
 * The team the API calls act for: the `teamId` option, the `teamSlug` option, `VERCEL_TEAM_ID`, then a
 * `team_` orgId. A team given as `teamId` or `VERCEL_TEAM_ID` is an id when it starts with `team_`, else a
 * slug (as `vercel --scope` takes it); an orgId that is not a team is a personal account, for which neither
 * may be sent.
 */
function resolveTeam(input: VercelTargetInput, env: Env, link: VercelProjectLink): Pick<VercelTarget, 'teamId' | 'teamSlug'> {
  const given = nonEmpty(input.teamId)
  if (given) return teamOrSlug(given)
  const slug = nonEmpty(input.teamSlug)
  if (slug) return { teamSlug: slug }
  const fromEnv = nonEmpty(env.VERCEL_TEAM_ID)
  if (fromEnv) return teamOrSlug(fromEnv)
  const teamId = teamOf(nonEmpty(env.VERCEL_ORG_ID) ?? link.orgId)
  return teamId ? { teamId } : {}
}

function teamOrSlug(team: string): Pick<VercelTarget, 'teamId' | 'teamSlug'> {
  return team.startsWith('team_') ? { teamId: team } : { teamSlug: team }
}

/**
 * The team an `orgId` (`VERCEL_ORG_ID`, `.vercel/project.json`) names: a `team_…` id is a team; anything
 * else is a personal account, for which no `teamId` may be sent.
 */
export function teamOf(orgId: string | undefined): string | undefined {
  return orgId?.startsWith('team_') ? orgId : undefined
}

/** The token travels to the API origin: it must be HTTPS, or a loopback address for tests and stand-ins. */
export function apiUrlProblem(apiUrl: string): string | undefined {
  let url: URL
  try {
    url = new URL(apiUrl)
  } catch {
    return `API URL ${JSON.stringify(apiUrl)} is not a URL`
  }
  if (url.protocol === 'https:') return undefined
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(url.hostname)
  if (url.protocol === 'http:' && loopback) return undefined
  return `API URL ${url.origin} is refused: the token is only sent over https:// (or http:// to a loopback address)`
}

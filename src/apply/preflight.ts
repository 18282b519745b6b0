// What a real run of `apply` needs, checked without sending anything: `apply --dry-run` says each in one line,
// and `image-invalidate doctor` can call the same functions. Each returns plain check results.
import { PREVIOUS_VIA_TEXT, type PreviousDecision } from '../core/choose-previous.js'
import { failureOf } from '../core/errors.js'
import { nonEmpty, type Env } from '../shared/environment.js'
import type { PreflightCheck } from '../types.js'
import type { VercelClient } from '../vercel/client.js'
import {
  apiUrlProblem,
  NO_PROJECT,
  NO_TOKEN,
  readVercelProjectLink,
  resolveApiUrl,
  resolveConfiguredProject,
  tokenProblem,
  type TargetProblem,
  type VercelTargetInput,
} from '../vercel/target.js'
import type { Incoming } from './incoming.js'
import { watchKind } from './watch.js'

/** The token, project, team and API origin a real run would use, each with where it comes from, or what to set. */
export function checkVercelTarget(input: VercelTargetInput, root: string, env: Env): PreflightCheck[] {
  return [checkToken(input, env), ...checkProjectAndTeam(input, root, env), checkApiUrl(input, env)]
}

function checkToken(input: VercelTargetInput, env: Env): PreflightCheck {
  const given = nonEmpty(input.token)
  const token = given ?? nonEmpty(env.VERCEL_TOKEN)
  if (!token) {
    const fix = "set VERCEL_TOKEN to an access token whose scope includes the project's team, never as a flag"
    return { subject: 'token', status: 'problem', message: 'token: no Vercel token', fix, code: NO_TOKEN.code }
  }
  const problem = tokenProblem(token)
  if (problem)
    return {
      subject: 'token',
      status: 'problem',
      message: `token: ${problem.problem}`,
      fix: 'copy it again, without spaces or line breaks',
      code: problem.code,
    }
  return { subject: 'token', status: 'ok', message: `token: ${given ? 'given as the token option' : 'VERCEL_TOKEN is set'}` }
}

function checkProjectAndTeam(input: VercelTargetInput, root: string, env: Env): PreflightCheck[] {
  const { projectId, teamId, teamSlug } = resolveConfiguredProject(input, root, env)
  const link = readVercelProjectLink(root)
  const project: PreflightCheck = projectId
    ? { subject: 'project', status: 'ok', message: `project: ${projectId}, from ${sourceOf(projectId, input, env, link)}` }
    : {
        subject: 'project',
        status: 'problem',
        message: 'project: none',
        fix: 'set VERCEL_PROJECT_ID, or run `vercel link` to write .vercel/project.json',
        code: NO_PROJECT.code,
      }
  const team = teamId ?? teamSlug
  const teamCheck: PreflightCheck = team
    ? { subject: 'team', status: 'ok', message: `team: ${team}, sent as ${teamId ? 'teamId' : 'slug'}, from ${sourceOf(team, input, env, link)}` }
    : {
        subject: 'team',
        status: 'note',
        message: "team: none, right for a personal account's project",
        fix: 'set VERCEL_TEAM_ID if the project belongs to a team',
      }
  return [project, teamCheck]
}

/** Where a value of the target was given, for the line that names it. */
function sourceOf(value: string, input: VercelTargetInput, env: Env, link: { projectId?: string; orgId?: string }): string {
  const sources: Array<[string, string | undefined]> = [
    ['--project or the projectId option', input.projectId],
    ['--team or the teamId option', input.teamId],
    ['the teamSlug option', input.teamSlug],
    ['VERCEL_PROJECT_ID', env.VERCEL_PROJECT_ID],
    ['VERCEL_TEAM_ID', env.VERCEL_TEAM_ID],
    ['VERCEL_ORG_ID', env.VERCEL_ORG_ID],
    ['.vercel/project.json', link.projectId],
    ['.vercel/project.json', link.orgId],
  ]
  return sources.find(([, given]) => nonEmpty(given) === value)?.[0] ?? 'the configuration'
}

function checkApiUrl(input: VercelTargetInput, env: Env): PreflightCheck {
  const apiUrl = resolveApiUrl(input, env)
  const problem = apiUrlProblem(apiUrl)
  if (problem) {
    const fix = 'use an https:// origin, or http:// to a loopback address'
    return { subject: 'api', status: 'problem', message: `API: ${problem}`, fix, code: 'IMAGE_INVALIDATE_API_URL_REFUSED' }
  }
  return { subject: 'api', status: 'ok', message: `API: ${new URL(apiUrl).origin}` }
}

/**
 * The deployment named by `--deployment`, read through the API as a real run reads it first; a problem says
 * what was being read and what came back (`reading deployment dpl_1 from the API: ECONNREFUSED (127.0.0.1:9)`),
 * or what the API needs before it can be read.
 */
export async function checkDeployment(named: string, client: VercelClient | undefined, target: TargetProblem | undefined): Promise<PreflightCheck> {
  const what = `deployment ${named}, named by --deployment`
  if (!client) {
    const fix = target?.problem ?? 'set VERCEL_TOKEN and VERCEL_PROJECT_ID'
    return { subject: 'deployment', status: 'problem', message: `${what}: not read, the API cannot be asked`, fix, code: target?.code }
  }
  try {
    const deployment = await client.getDeployment(named)
    return { subject: 'deployment', status: 'ok', message: `${what}: ${deployment.id}, ${deployment.readyState}, at ${deployment.url}` }
  } catch (error) {
    const { code, message } = failureOf(error)
    return { subject: 'deployment', status: 'problem', message: `${what}: ${message}`, code }
  }
}

/** D, and where its manifest came from: `--plan`, the local plan the build wrote, or the named deployment. */
export function describeIncoming(incoming: Incoming, given: { deployment?: string; plan?: string }): PreflightCheck {
  const { manifest, source } = incoming
  const named = given.deployment ? ', the deployment named by --deployment' : ', no --deployment given'
  const from = given.plan === undefined ? source : `--plan ${source}`
  return { subject: 'plan', status: 'ok', message: `D: ${manifest.buildId}${named}; its manifest from ${from}` }
}

/** What tells a real run that D is live, or what to pass when nothing does. */
export function checkWatch(input: {
  wait: boolean | undefined
  buildId: string
  deploymentId: string | undefined
  siteUrl: string | undefined
  apiReady: boolean
}): PreflightCheck {
  const { deploymentId, siteUrl } = input
  const kind = watchKind({ wait: input.wait, deploymentId: Boolean(deploymentId), site: Boolean(siteUrl), api: input.apiReady })
  const ok = (message: string): PreflightCheck => ({ subject: 'watch', status: 'ok', message: `watch: ${message}` })
  if (kind === 'none') return ok('none, --no-wait: sent at once, the caller saying production already serves D')
  if (kind === 'api') return ok(`the API, until production serves ${deploymentId}${siteUrl ? `; the site ${siteUrl} read for P` : ''}`)
  if (kind === 'site') return ok(`the site ${siteUrl}, until it serves ${input.buildId}`)
  if (deploymentId) return { subject: 'watch', status: 'note', message: `watch: the API, until production serves ${deploymentId}, once it can be asked` }
  return {
    subject: 'watch',
    status: 'problem',
    message: `watch: nothing tells when ${input.buildId} is live, and nothing may be sent before`,
    fix: 'pass --site URL or set IMAGE_INVALIDATE_SITE_URL, pass --deployment ID, or --no-wait if production already serves it',
    code: 'IMAGE_INVALIDATE_NOTHING_TO_WATCH',
  }
}

/**
 * P as a dry run finds it (before any flip: what the site serves now, or what was named), and what a real
 * run looks at besides while it waits.
 */
export function describePrevious(decision: PreviousDecision, input: { siteUrl: string | undefined; apiWatch: boolean }): PreflightCheck[] {
  const found =
    decision.via === 'build-plan'
      ? `P: unknown now, ${decision.why}; the build-time plan would be sent`
      : `P: ${decision.manifest.buildId}, from ${PREVIOUS_VIA_TEXT[decision.via]}`
  const later = [
    input.siteUrl ? `what ${input.siteUrl} serves until the flip` : undefined,
    input.apiWatch ? "what the API shows production serving until the flip, then the project's last promotion" : undefined,
  ].filter(Boolean)
  const realRun =
    later.length > 0 ? `P in a real run without --from: ${later.join('; ')}` : 'P in a real run without --from: the build-time plan, nothing else to look at'
  return [
    { subject: 'previous', status: 'note', message: found },
    { subject: 'previous', status: 'note', message: realRun },
  ]
}

import { VercelApiError, type CreatedWebhook, type ProjectVariable, type VercelClient, type Webhook } from '../vercel/client.js'
import { SetupError } from './errors.js'

/** The events the webhook route acts on: every production flip (README, The webhook). */
export const WEBHOOK_EVENTS = ['deployment.promoted', 'deployment.rollback', 'project.rolling-release.completed', 'project.rolling-release.aborted'] as const

/** The variable the route reads its secret from. */
export const SECRET_VARIABLE = 'IMAGE_INVALIDATE_WEBHOOK_SECRET'

/** What the project has now: its webhooks at the route's URL, and the secret variable for Production. */
export interface WebhookState {
  projectId: string
  url: string
  /** The project's webhooks whose URL is the route's. */
  atUrl: Webhook[]
  /** One of them has every event the route needs, for this project. */
  complete: Webhook | undefined
  secret: ProjectVariable | undefined
  token: ProjectVariable | undefined
}

/** What `init` does to reach a working webhook: nothing, or a new webhook whose secret replaces the variable's. */
export interface WebhookPlan {
  state: WebhookState
  /** A webhook is created (its secret cannot be read back from an existing one), then the variable set to it. */
  create: boolean
  /** Webhooks at the same URL that the new one replaces, deleted once it works. */
  replace: Webhook[]
  /** Store VERCEL_TOKEN on the project (only on the user's explicit yes). */
  storeToken: string | undefined
}

/** Whether a webhook covers the project and carries every event the route needs. */
export function missingEvents(webhook: Webhook): string[] {
  return WEBHOOK_EVENTS.filter((event) => !webhook.events.includes(event))
}

export function isForProject(webhook: Webhook, projectId: string): boolean {
  return webhook.projectIds.length === 0 || webhook.projectIds.includes(projectId)
}

/** A variable that Production deployments get. */
export function forProduction(variables: readonly ProjectVariable[], key: string): ProjectVariable | undefined {
  return variables.find((variable) => variable.key === key && variable.target.includes('production'))
}

/** Reads the project's webhooks and variables; `projectId` is the project's id (the list is filtered by id, not name). */
export async function readWebhookState(client: VercelClient, projectId: string, url: string): Promise<WebhookState> {
  const [webhooks, variables] = await Promise.all([client.listWebhooks(projectId), client.listProjectVariables(projectId)])
  const atUrl = webhooks.filter((webhook) => webhook.url === url && isForProject(webhook, projectId))
  return {
    projectId,
    url,
    atUrl,
    complete: atUrl.find((webhook) => missingEvents(webhook).length === 0),
    secret: forProduction(variables, SECRET_VARIABLE),
    token: forProduction(variables, 'VERCEL_TOKEN'),
  }
}

/** What to change: a second run finds its webhook and its variable, and changes nothing. */
export function planWebhook(state: WebhookState): WebhookPlan {
  const done = state.complete !== undefined && state.secret !== undefined
  return { state, create: !done, replace: done ? [] : state.atUrl, storeToken: undefined }
}

/** The API calls a plan makes, as `--dry-run` prints them (no value, no secret). */
export function describeWebhookCalls(plan: WebhookPlan): string[] {
  const { projectId, url } = plan.state
  const calls: string[] = []
  if (plan.create) {
    calls.push(`POST /v1/webhooks {"url":"${url}","events":${JSON.stringify(WEBHOOK_EVENTS)},"projectIds":["${projectId}"]}`)
    calls.push(
      `POST /v10/projects/${projectId}/env?upsert=true {"key":"${SECRET_VARIABLE}","value":"<the webhook's secret>","type":"encrypted","target":["production"]}`,
    )
    for (const old of plan.replace) calls.push(`DELETE /v1/webhooks/${old.id} (the webhook it replaces: ${describeWebhook(old)})`)
  }
  if (plan.storeToken !== undefined)
    calls.push(`POST /v10/projects/${projectId}/env?upsert=true {"key":"VERCEL_TOKEN","value":"<your token>","type":"sensitive","target":["production"]}`)
  return calls
}

function describeWebhook(webhook: Webhook): string {
  const missing = missingEvents(webhook)
  return missing.length ? `without ${missing.join(', ')}` : 'its secret is not in the project'
}

/**
 * Makes the plan's calls, all or none: a webhook created is deleted again when storing its secret fails, so
 * no webhook is left that nothing can verify. The webhooks it replaces go only once the new one works.
 */
export async function applyWebhookPlan(client: VercelClient, plan: WebhookPlan, log: (line: string) => void): Promise<{ undo(): Promise<void> }> {
  const { projectId, url } = plan.state
  let created: CreatedWebhook | undefined
  try {
    if (plan.create) {
      created = await createWebhook(client, projectId, url)
      await client.upsertProjectVariable({ key: SECRET_VARIABLE, value: created.secret, type: 'encrypted', target: ['production'] }, projectId)
      log(`created the webhook ${created.id} at ${url} and set ${SECRET_VARIABLE} (encrypted) for Production`)
    }
    if (plan.storeToken !== undefined) {
      await client.upsertProjectVariable({ key: 'VERCEL_TOKEN', value: plan.storeToken, type: 'sensitive', target: ['production'] }, projectId)
      log('set VERCEL_TOKEN (sensitive) for Production, as you said yes')
    }
  } catch (error) {
    if (created) await deleteQuietly(client, created.id, log)
    throw error
  }
  for (const old of created ? plan.replace : []) {
    await client.deleteWebhook(old.id).then(
      () => log(`deleted the webhook ${old.id} it replaces (${describeWebhook(old)})`),
      (error: Error) => log(`the webhook ${old.id} it replaces could not be deleted (${error.message}): delete it in Team Settings > Webhooks`),
    )
  }
  return {
    // For a failure after this step (writing the app's files): the webhook goes again; the variable stays,
    // holding a secret no webhook uses, and the next run sets it anew.
    undo: async () => {
      if (created) await deleteQuietly(client, created.id, log)
    },
  }
}

async function createWebhook(client: VercelClient, projectId: string, url: string) {
  try {
    return await client.createWebhook({ url, events: WEBHOOK_EVENTS, projectIds: [projectId] })
  } catch (error) {
    if (error instanceof VercelApiError && error.status === 403) {
      throw new SetupError(
        'IMAGE_INVALIDATE_SETUP_WEBHOOKS_REFUSED',
        `Vercel refused to create the webhook (403): account webhooks need a Pro or Enterprise team (and a token that may manage them); on a Hobby team run \`image-invalidate init --way github\` instead${error.vercelMessage ? `. Vercel said: ${error.vercelMessage}` : ''}`,
        false,
        { cause: error },
      )
    }
    throw error
  }
}

async function deleteQuietly(client: VercelClient, id: string, log: (line: string) => void): Promise<void> {
  try {
    await client.deleteWebhook(id)
    log(`deleted the webhook ${id} again: nothing is left half done`)
  } catch (error) {
    log(`the webhook ${id} could not be deleted again (${(error as Error).message}): delete it in Team Settings > Webhooks`)
  }
}

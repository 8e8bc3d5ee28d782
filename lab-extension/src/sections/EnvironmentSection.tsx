import { buildWarnings } from '@envhub/schema';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { CommandButtons } from '../components/CommandButtons';
import { CopyField } from '../components/CopyField';
import { PublicAccess } from '../components/PublicAccess';
import { TimeLeft } from '../components/TimeLeft';
import { CSS } from '../cssClasses';
import { formatDuration } from '../duration';
import { forgeLinks } from '../forge';
import {
  CommandIDs,
  IBadgeSnippets,
  IEnvhubBuild,
  IEnvhubServer
} from '../tokens';
import { EnvhubSection } from './EnvhubSection';

/**
 * Where this server's environment comes from (repository, ref and commit, linked to the
 * forge; image and build date), its resources and the time left before it stops, whether
 * it is public (with its visitors now, and *Make public* or *Stop public access* for the
 * owner), its launch link and badge snippets (and its public link's while it is public),
 * and the environment's actions (share, fork, build log, and relaunch for the owner).
 */
export class EnvironmentSection extends EnvhubSection {
  constructor(options: EnvhubSection.IOptions) {
    super(options, 'environment');
    this.title.label = this.trans.__('Environment');
  }

  /** Most of what the panel shows is here. */
  get stretch(): number {
    return 3;
  }

  protected render(): JSX.Element | null {
    const { server, build } = this.model.state;
    if (!server) {
      return null;
    }
    const trans = this.trans;
    const actions = [CommandIDs.share, CommandIDs.fork, CommandIDs.buildLog];
    if (server.canManage) {
      actions.push(CommandIDs.relaunch);
    }
    return (
      <>
        <Origin server={server} build={build} trans={trans} />
        <Resources server={server} trans={trans} />
        <Usage server={server} trans={trans} />
        <PublicAccess
          server={server}
          trans={trans}
          onChange={value => this.model.setPublic(value)}
        />
        <Share server={server} trans={trans} />
        <CommandButtons commands={this.commands} ids={actions} />
      </>
    );
  }
}

interface IServerProps {
  server: IEnvhubServer;
  trans: TranslationBundle;
}

/** The server, and where its image comes from. */
function Origin(
  props: IServerProps & { build: IEnvhubBuild | null }
): JSX.Element {
  const { server, build, trans } = props;
  const forge = forgeLinks(server.repoUrl);
  // What the build left out or could not honour (R packages Debian lacks, another Python…).
  const warnings = build ? buildWarnings(build.log) : [];
  const name =
    server.displayName && server.displayName !== server.name
      ? trans.__('%1 (%2)', server.displayName, server.name)
      : server.name;
  return (
    <dl className={CSS.details}>
      <Row label={trans.__('Server')}>
        <span className={CSS.server}>{name}</span>
      </Row>
      <Row label={trans.__('State')}>
        <span className={CSS.state}>{server.state}</span>
      </Row>
      <Row label={trans.__('Repository')}>
        <WebLink
          className={CSS.repo}
          text={server.repoUrl}
          href={forge?.repo ?? server.repoUrl}
        />
      </Row>
      <Row label={trans.__('Ref')}>
        {forge ? (
          <WebLink
            className={CSS.ref}
            text={server.ref}
            href={forge.tree(server.ref)}
          />
        ) : (
          <Code className={CSS.ref} text={server.ref} />
        )}
      </Row>
      <Row label={trans.__('Commit')}>
        {forge ? (
          <WebLink
            className={CSS.commit}
            text={server.commit}
            href={forge.commit(server.commit)}
          />
        ) : (
          <Code className={CSS.commit} text={server.commit} />
        )}
      </Row>
      <Row label={trans.__('Image')}>
        <Code className={CSS.image} text={server.image} />
      </Row>
      {build?.finishedAt && (
        <Row label={trans.__('Built')}>
          <DateTime className={CSS.built} iso={build.finishedAt} />
        </Row>
      )}
      {warnings.length > 0 && (
        <Row label={trans.__('Build warnings')}>
          <ul className={CSS.buildWarnings}>
            {warnings.map(warning => (
              <li key={warning}>{warning}</li>
            ))}
          </ul>
        </Row>
      )}
      <Row label={trans.__('Created')}>
        <DateTime className={CSS.created} iso={server.createdAt} />
      </Row>
    </dl>
  );
}

/** The resources the server runs with, and the time left before each stop. */
function Resources(props: IServerProps): JSX.Element {
  const { server, trans } = props;
  const { memory, cpus, idleTimeout, maxAge } = server.resources;
  const stops = [
    ['idle', trans.__('Stops if idle'), server.stopsAt.idle],
    ['maxAge', trans.__('Stops at maximum age'), server.stopsAt.maxAge]
  ] as const;
  return (
    <section className={CSS.group}>
      <h3>{trans.__('Resources')}</h3>
      <dl className={`${CSS.details} ${CSS.resources}`}>
        <Row label={trans.__('Memory')}>
          <span>{memory ?? trans.__('site default')}</span>
        </Row>
        <Row label={trans.__('CPUs')}>
          <span>
            {cpus === undefined ? trans.__('site default') : String(cpus)}
          </span>
        </Row>
        <Row label={trans.__('Idle timeout')}>
          <span>
            {idleTimeout ? formatDuration(idleTimeout) : trans.__('none')}
          </span>
        </Row>
        <Row label={trans.__('Maximum age')}>
          <span>{maxAge ? formatDuration(maxAge) : trans.__('none')}</span>
        </Row>
        {stops.map(
          ([kind, label, at]) =>
            at && (
              <Row key={kind} label={label}>
                <TimeLeft at={at} kind={kind} trans={trans} />
              </Row>
            )
        )}
      </dl>
    </section>
  );
}

/** The `used` amount, with its share of `quota` when there is one: `1.25 of 10 (13 %)`. */
function ofQuota(used: number, quota: number | undefined): string {
  const amount = used >= 10 ? used.toFixed(1) : used.toFixed(2);
  return quota === undefined
    ? amount
    : `${amount} / ${quota} (${Math.round((100 * used) / (quota || 1))} %)`;
}

/**
 * This month's usage (owner and admins only): the server's, and its owner's against the
 * quota, what is over it and when envhub stops the server then, with a link to the usage page.
 */
function Usage(props: IServerProps): JSX.Element | null {
  const { server, trans } = props;
  const usage = server.usage;
  if (!usage) {
    return null;
  }
  const stops =
    usage.stopAt === 'hour'
      ? trans.__(
          'envhub stops this server at the next full hour (its home is kept).'
        )
      : usage.stopAt === 'day'
        ? trans.__(
            'envhub stops this server at midnight (UTC; its home is kept).'
          )
        : trans.__('New launches are refused until the quota resets.');
  return (
    <section className={`${CSS.group} ${CSS.usage}`}>
      <h3>{trans.__('Usage this month')}</h3>
      <dl className={CSS.details}>
        <Row label={trans.__('This server')}>
          <span data-usage="server">
            {trans.__(
              '%1 CPU-hours, %2 GB-hours, %3 hours running',
              usage.server.cpuHours.toFixed(2),
              usage.server.gbHours.toFixed(2),
              usage.server.runningHours.toFixed(1)
            )}
          </span>
        </Row>
        <Row label={trans.__('All your servers: CPU-hours')}>
          <span data-usage="cpuHours">
            {ofQuota(usage.owner.cpuHours, usage.quota.cpuHours)}
          </span>
        </Row>
        <Row label={trans.__('GB-hours')}>
          <span data-usage="gbHours">
            {ofQuota(usage.owner.gbHours, usage.quota.gbHours)}
          </span>
        </Row>
        <Row label={trans.__('Storage (GB)')}>
          <span data-usage="storageGb">
            {ofQuota(usage.owner.storageGb, usage.quota.storageGb)}
          </span>
        </Row>
      </dl>
      {usage.overQuota.length > 0 && (
        <ul className={CSS.overQuota} role="alert">
          {usage.overQuota.map(message => (
            <li key={message}>{trans.__('Over quota: %1.', message)}</li>
          ))}
          <li>{stops}</li>
        </ul>
      )}
      <WebLink
        className={CSS.usage}
        text={trans.__('My usage (plots, CSV)')}
        href={usage.usageUrl}
      />
    </section>
  );
}

/**
 * The launch link and the badge snippets, each with a copy button; while the server is
 * public, its public link and that link's badge snippets too.
 */
function Share(props: IServerProps): JSX.Element {
  const { server, trans } = props;
  return (
    <section className={`${CSS.group} ${CSS.share}`}>
      <h3>{trans.__('Share')}</h3>
      <CopyField
        label={trans.__('Launch link')}
        value={server.launchUrl}
        kind="link"
        trans={trans}
      />
      <BadgeSnippets
        summary={trans.__('Badge snippets')}
        snippets={server.snippets}
        trans={trans}
      />
      {server.public && (
        <>
          <CopyField
            label={trans.__('Public link')}
            value={server.public.url}
            kind="public-link"
            trans={trans}
          />
          <BadgeSnippets
            summary={trans.__('Public badge snippets')}
            snippets={server.public.snippets}
            kindPrefix="public-"
            trans={trans}
          />
        </>
      )}
    </section>
  );
}

/** Badge snippets under a summary, each with a copy button (`data-kind`: prefix + format). */
function BadgeSnippets(props: {
  summary: string;
  snippets: IBadgeSnippets;
  kindPrefix?: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { summary, snippets, kindPrefix = '', trans } = props;
  return (
    <details>
      <summary>{summary}</summary>
      <CopyField
        label={trans.__('Markdown')}
        value={snippets.markdown}
        kind={`${kindPrefix}markdown`}
        trans={trans}
      />
      <CopyField
        label={trans.__('reStructuredText')}
        value={snippets.rst}
        kind={`${kindPrefix}rst`}
        trans={trans}
      />
      <CopyField
        label={trans.__('HTML')}
        value={snippets.html}
        kind={`${kindPrefix}html`}
        trans={trans}
      />
    </details>
  );
}

/** One term and its description. */
function Row(props: React.PropsWithChildren<{ label: string }>): JSX.Element {
  return (
    <>
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </>
  );
}

function Code(props: { className: string; text: string }): JSX.Element {
  return (
    <code className={props.className} title={props.text}>
      {props.text}
    </code>
  );
}

/** A link opening in a new tab; only web URLs, so a stored URL never runs script on click. */
function WebLink(props: {
  className: string;
  text: string;
  href: string;
}): JSX.Element {
  const { className, text, href } = props;
  const web = /^https?:\/\//i.test(href);
  return (
    <a
      className={className}
      title={href}
      href={web ? href : undefined}
      target={web ? '_blank' : undefined}
      rel={web ? 'noopener noreferrer' : undefined}
    >
      {text}
    </a>
  );
}

function DateTime(props: { className: string; iso: string }): JSX.Element {
  const { className, iso } = props;
  const parsed = new Date(iso);
  return (
    <time className={className} dateTime={iso} title={iso}>
      {isNaN(parsed.getTime()) ? iso : parsed.toLocaleString()}
    </time>
  );
}

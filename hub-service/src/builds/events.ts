/** BinderHub's build/launch phases, in the order a launch passes through them. */
export type Phase = 'waiting' | 'fetching' | 'building' | 'built' | 'launching' | 'ready' | 'failed';

/** One event of the BinderHub-compatible stream (`data: <json>`). */
export interface BuildEvent {
  phase: Phase;
  message?: string;
  imageName?: string;
  /** On `ready`: the named server's URL, and the BinderHub fields that describe the launch. */
  url?: string;
  image?: string;
  repo_url?: string;
  binder_ref_url?: string;
  binder_launch_host?: string;
  binder_request?: string;
  binder_persistent_request?: string;
}

export const isFinal = (event: BuildEvent): boolean => event.phase === 'ready' || event.phase === 'failed';

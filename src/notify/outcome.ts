import type { RunOutcome } from './report';

/** How each outcome is named and coloured, the same in the email, the Slack message and the webhook. */
export const OUTCOME_STYLES: Record<RunOutcome, { label: string; colour: string }> = {
  succeeded: { label: 'succeeded', colour: '#1a7f37' },
  completed_with_failures: { label: 'completed with failures', colour: '#9a6700' },
  failed: { label: 'failed', colour: '#cf222e' },
};

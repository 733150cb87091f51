/**
 * Who drives a session: "shared" (people and automation agents may both act), "agent" (an
 * automation client drives; the server refuses people's input) or "human" (a person drives; the
 * agent's input is refused). The session JSON carries it as `controller`, the viewer socket as
 * `{"type":"control","holder":…}`, and POST /api/sessions/{id}/control changes it.
 */
export type ControlHolder = 'shared' | 'agent' | 'human';

export function isControlHolder(value: unknown): value is ControlHolder {
  return value === 'shared' || value === 'agent' || value === 'human';
}

/**
 * The controller to show: the viewer socket's last control message (sent at attach and on every
 * change, so the freshest), else the session JSON's, else the server's default.
 */
export function currentController(fromSocket: ControlHolder | null, fromSession: unknown): ControlHolder {
  return fromSocket ?? (isControlHolder(fromSession) ? fromSession : 'shared');
}

/** A button that hands control to `holder`. */
export interface ControlAction {
  holder: ControlHolder;
  label: string;
}

/** What the control bar shows: a line of text and the buttons next to it. */
export interface ControlPanel {
  /** Who drives, for styling: the agent's bar is the loud one. */
  tone: ControlHolder;
  text: string;
  actions: ControlAction[];
}

const TAKE_CONTROL: ControlAction = { holder: 'human', label: 'Take control' };
const HAND_BACK: ControlAction = { holder: 'agent', label: 'Hand back to the agent' };
const SHARE: ControlAction = { holder: 'shared', label: 'Share control' };

/**
 * The control bar for a controller and the number of automation clients connected; null when
 * there is nothing to say (shared, no agent). A read-only view says who drives but offers no buttons.
 */
export function controlPanel(controller: ControlHolder, cdpClients: number, readOnly: boolean): ControlPanel | null {
  const agents = cdpClients > 0;
  let panel: ControlPanel;
  switch (controller) {
    case 'agent':
      panel = { tone: 'agent', text: 'An agent is driving', actions: [TAKE_CONTROL] };
      break;
    case 'human':
      // In a read-only view, "you" do not have control: someone else does.
      panel = readOnly
        ? { tone: 'human', text: 'A person has control', actions: [] }
        : { tone: 'human', text: 'You have control', actions: [HAND_BACK, SHARE] };
      break;
    case 'shared':
      if (!agents) {
        return null;
      }
      panel = { tone: 'shared', text: 'Agent connected', actions: [TAKE_CONTROL] };
      break;
  }
  return readOnly ? { ...panel, actions: [] } : panel;
}

/** Whether a person's input is worth sending: while an agent drives the server refuses it. */
export function acceptsHumanInput(controller: ControlHolder): boolean {
  return controller !== 'agent';
}

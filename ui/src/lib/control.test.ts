import { describe, expect, it } from 'vitest';
import { acceptsHumanInput, controlPanel, currentController, isControlHolder } from './control';

const holders = (panel: ReturnType<typeof controlPanel>) => panel?.actions.map((a) => a.holder);

describe('controlPanel', () => {
  it('offers to take control while an agent drives, agent connected or not', () => {
    for (const cdpClients of [0, 1]) {
      const panel = controlPanel('agent', cdpClients, false);
      expect(panel).toMatchObject({ tone: 'agent', text: 'An agent is driving' });
      expect(panel?.actions).toEqual([{ holder: 'human', label: 'Take control' }]);
    }
  });

  it('offers to hand back or share while a person drives', () => {
    for (const cdpClients of [0, 2]) {
      const panel = controlPanel('human', cdpClients, false);
      expect(panel).toMatchObject({ tone: 'human', text: 'You have control' });
      expect(panel?.actions.map((a) => a.label)).toEqual(['Hand back to the agent', 'Share control']);
      expect(holders(panel)).toEqual(['agent', 'shared']);
    }
  });

  it('says an agent is connected to a shared session, with a button to take control', () => {
    const panel = controlPanel('shared', 1, false);
    expect(panel).toMatchObject({ tone: 'shared', text: 'Agent connected' });
    expect(holders(panel)).toEqual(['human']);
  });

  it('shows nothing for a shared session with no agent', () => {
    expect(controlPanel('shared', 0, false)).toBeNull();
    expect(controlPanel('shared', 0, true)).toBeNull();
  });

  it('says who drives in a read-only view, without buttons', () => {
    expect(controlPanel('agent', 1, true)).toEqual({ tone: 'agent', text: 'An agent is driving', actions: [] });
    expect(controlPanel('human', 0, true)).toEqual({ tone: 'human', text: 'A person has control', actions: [] });
    expect(controlPanel('shared', 3, true)).toEqual({ tone: 'shared', text: 'Agent connected', actions: [] });
  });
});

describe('currentController', () => {
  it("prefers the socket's control message, then the session JSON, then shared", () => {
    expect(currentController('agent', 'human')).toBe('agent');
    expect(currentController(null, 'human')).toBe('human');
    expect(currentController(null, undefined)).toBe('shared');
    expect(currentController(null, 'robot')).toBe('shared');
  });
});

describe('isControlHolder', () => {
  it('knows the three holders and nothing else', () => {
    expect(['shared', 'agent', 'human'].every(isControlHolder)).toBe(true);
    for (const value of ['Agent', '', null, undefined, 1, {}]) {
      expect(isControlHolder(value)).toBe(false);
    }
  });
});

describe('acceptsHumanInput', () => {
  it('is false only while an agent drives', () => {
    expect(acceptsHumanInput('agent')).toBe(false);
    expect(acceptsHumanInput('human')).toBe(true);
    expect(acceptsHumanInput('shared')).toBe(true);
  });
});

import { describePolicy, policySummary, type SessionPolicy } from '../lib/policy';
import { ShieldIcon } from './icons';
import { Popover } from './Popover';

/** What this session lets cross the isolation boundary, behind a toolbar button. */
export function PolicyButton({ policy }: { policy: SessionPolicy }) {
  const summary = policySummary(policy);
  return (
    <Popover label="Session policy" title={summary} buttonTestId="policy-button" panelTestId="policy-panel" button={<ShieldIcon />}>
      <h2 className="popover-title">Session policy</h2>
      <dl className="policy-list">
        {describePolicy(policy).map((row) => (
          <div key={row.label} className={row.allowed ? 'policy-row' : 'policy-row refused'}>
            <dt>{row.label}</dt>
            <dd>{row.value}</dd>
          </div>
        ))}
      </dl>
    </Popover>
  );
}

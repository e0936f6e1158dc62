import { ANONYMOUS_OPERATION, OperationLabels, OTHER_OPERATION } from './operation-labels';
import { requestIdOf } from './request-id';

describe('OperationLabels', () => {
  it.each([
    [undefined, ANONYMOUS_OPERATION],
    [null, ANONYMOUS_OPERATION],
    ['', ANONYMOUS_OPERATION],
    ['DashboardBalances', 'DashboardBalances'],
    ['_private2', '_private2'],
    ['A'.repeat(64), 'A'.repeat(64)],
    ['A'.repeat(65), OTHER_OPERATION],
    ['has space', OTHER_OPERATION],
    ['9starts', OTHER_OPERATION],
    ['agency-7f3e', OTHER_OPERATION],
  ])('should label %p as %p', (name, label) => {
    expect(new OperationLabels().label(name)).toBe(label);
  });

  it('should keep the first names up to its cap and collapse later ones, for good', () => {
    const labels = new OperationLabels(2);
    expect(labels.label('One')).toBe('One');
    expect(labels.label('Two')).toBe('Two');
    expect(labels.label('Three')).toBe(OTHER_OPERATION);
    expect(labels.label('One')).toBe('One');
    expect(labels.label('Three')).toBe(OTHER_OPERATION);
  });
});

describe('requestIdOf', () => {
  it.each([
    ['0b6f1c1e-4c1a-4a8e-9d47-1a2b3c4d5e6f', true],
    ['Root-1.5759e988:bd862e3f_x', true],
    ['x'.repeat(128), true],
    ['x'.repeat(129), false],
    ['two words', false],
    ['a, b', false],
    ['<script>', false],
    ['line\nbreak', false],
    ['', false],
  ])('should keep %p: %p', (header, kept) => {
    expect(requestIdOf(header) === header).toBe(kept);
  });

  it('should generate a UUID when there is no usable header', () => {
    expect(requestIdOf(undefined)).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf(['a', 'b'])).toMatch(/^[0-9a-f-]{36}$/);
  });
});

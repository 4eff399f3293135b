import { fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import type { SecretField } from '../api/types';
import {
  initialSecretStates,
  keptSecrets,
  onlySecrets,
  secretsInUse,
  secretsPayload,
  type SecretState,
  type SecretStates,
} from './secrets';
import { SecretInput } from './SecretInput';

const password: SecretField = { name: 'password', label: 'Password', description: 'Password of the user.', multiline: false };

function Secret({ stored, onState }: { stored: boolean; onState: (state: SecretState) => void }) {
  const [state, setState] = useState<SecretState>(stored ? { mode: 'keep' } : { mode: 'empty' });
  return (
    <SecretInput
      field={password}
      state={state}
      onChange={(next) => {
        setState(next);
        onState(next);
      }}
    />
  );
}

describe('secret states', () => {
  it("show the SSH tunnel's secrets only while the tunnel is used, and send only the shown ones", () => {
    const fields = ['password', 'sshPassword', 'sshPrivateKey', 'sshPassphrase', 'sshtoken'].map((name) => ({ name }));
    expect(secretsInUse(fields, false).map((field) => field.name)).toEqual(['password', 'sshtoken']);
    expect(secretsInUse(fields, true)).toEqual(fields);
    const states: SecretStates = { password: { mode: 'set', value: 'p' }, sshPassword: { mode: 'set', value: 's' } };
    expect(secretsPayload(onlySecrets(states, ['password']))).toEqual({ password: 'p' });
  });

  it('start kept when stored, empty otherwise', () => {
    expect(initialSecretStates(['password', 'token'], ['password'])).toEqual({ password: { mode: 'keep' }, token: { mode: 'empty' } });
  });

  it('send a value when set or replaced, null when cleared, nothing when kept or empty', () => {
    const states: SecretStates = {
      a: { mode: 'set', value: 'one' },
      b: { mode: 'replace', value: 'two' },
      c: { mode: 'clear' },
      d: { mode: 'keep' },
      e: { mode: 'empty' },
      f: { mode: 'replace', value: '' },
    };
    expect(secretsPayload(states)).toEqual({ a: 'one', b: 'two', c: null });
    expect(keptSecrets(states)).toEqual(['d']);
  });
});

describe('SecretInput: write-only, set / keep / replace / clear', () => {
  it('sets a secret where none is stored', () => {
    let state: SecretState = { mode: 'empty' };
    render(<Secret stored={false} onState={(next) => (state = next)} />);
    const input = screen.getByLabelText('Password');
    expect(input.getAttribute('type')).toBe('password');
    fireEvent.change(input, { target: { value: 's3cret' } });
    expect(state).toEqual({ mode: 'set', value: 's3cret' });
    fireEvent.change(input, { target: { value: '' } });
    expect(state).toEqual({ mode: 'empty' });
  });

  it('keeps a stored secret without any input or value, then replaces, keeps again, clears', () => {
    let state: SecretState = { mode: 'keep' };
    const { container } = render(<Secret stored onState={(next) => (state = next)} />);
    expect(screen.getByText('Set · kept')).toBeTruthy();
    expect(container.querySelector('input, textarea')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Replace password' }));
    expect(state).toEqual({ mode: 'replace', value: '' });
    // The new value starts empty: the stored one is never in the page.
    expect(screen.getByLabelText('Password')).toHaveProperty('value', '');
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'n3w' } });
    expect(state).toEqual({ mode: 'replace', value: 'n3w' });

    fireEvent.click(screen.getByRole('button', { name: 'Keep the stored password' }));
    expect(state).toEqual({ mode: 'keep' });
    expect(container.querySelector('input, textarea')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Clear password' }));
    expect(state).toEqual({ mode: 'clear' });
    expect(screen.getByText('Will be cleared on save')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Keep password' }));
    expect(state).toEqual({ mode: 'keep' });
  });

  it('shows the error the API gave for the secret at the field', () => {
    render(
      <SecretInput
        field={password}
        state={{ mode: 'empty' }}
        error="is required for this postgres configuration"
        onChange={() => undefined}
      />,
    );
    const input = screen.getByLabelText('Password');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toContain('secret-password-error');
  });
});

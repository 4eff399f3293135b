import { fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { configOf, fieldsOf, initialValues, requiredNames, type FormValues, type JsonSchema } from './schema';
import { SchemaFields } from './SchemaFields';

const schema: JsonSchema = {
  type: 'object',
  required: ['host'],
  properties: {
    host: { type: 'string', title: 'Host', description: 'Host name of the server.' },
    port: { type: 'integer', title: 'Port', default: 5432 },
    security: { type: 'string', title: 'Security', enum: ['none', 'tls'], default: 'tls' },
    auth: { type: 'boolean', title: 'Authenticate', default: false },
    username: { type: 'string', title: 'User name' },
    sshTunnel: { type: 'object', title: 'SSH tunnel', required: ['host'], properties: { host: { type: 'string', title: 'Bastion host' } } },
  },
  if: { properties: { auth: { const: true } }, required: ['auth'] },
  then: { required: ['username'] },
};

/** The form as the connection editor holds it: required fields follow the values. */
function Form({ errors = {}, onValues }: { errors?: Record<string, string>; onValues?: (values: FormValues) => void }) {
  const fields = fieldsOf(schema);
  const [values, setValues] = useState(() => initialValues(fields, {}));
  const required = requiredNames(schema, configOf(fields, values).config);
  return (
    <SchemaFields
      fields={fields}
      values={values}
      errors={errors}
      required={required}
      onChange={(next) => {
        setValues(next);
        onValues?.(next);
      }}
    />
  );
}

describe('SchemaFields: a config form generated from JSON Schema', () => {
  it('labels every input, shows defaults, marks required fields', () => {
    render(<Form />);
    expect(screen.getByLabelText('Host')).toHaveProperty('value', '');
    expect(screen.getByLabelText('Host').getAttribute('aria-required')).toBe('true');
    expect(screen.getByLabelText('Port')).toHaveProperty('value', '5432');
    expect(screen.getByLabelText('Port').getAttribute('aria-required')).toBeNull();
    expect(screen.getByLabelText('Security')).toHaveProperty('value', 'tls');
    expect(screen.getByLabelText('Authenticate')).toHaveProperty('checked', false);
    expect(screen.getByText('Host name of the server.').id).toBe(screen.getByLabelText('Host').getAttribute('aria-describedby'));
  });

  it('makes a field required when a condition holds (if/then)', () => {
    render(<Form />);
    expect(screen.getByLabelText('User name').getAttribute('aria-required')).toBeNull();
    fireEvent.click(screen.getByLabelText('Authenticate'));
    expect(screen.getByLabelText('User name').getAttribute('aria-required')).toBe('true');
  });

  it("shows the API's field errors at their fields, nested ones included", () => {
    render(<Form errors={{ 'config.host': 'is required', 'config.sshTunnel.host': 'must be a host name' }} />);
    const host = screen.getByLabelText('Host');
    expect(host.getAttribute('aria-invalid')).toBe('true');
    expect(host.getAttribute('aria-describedby')).toContain('config-host-error');
    expect(screen.getByText('is required').id).toBe('config-host-error');
    // The tunnel's error shows once the tunnel is in use.
    expect(screen.queryByText('must be a host name')).toBeNull();
    fireEvent.click(screen.getByLabelText('Use SSH tunnel'));
    expect(screen.getByLabelText('Bastion host').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('must be a host name')).toBeTruthy();
  });

  it('shows an optional group only when used, and sends it only then', () => {
    let values: FormValues = {};
    render(<Form onValues={(next) => (values = next)} />);
    expect(screen.queryByLabelText('Bastion host')).toBeNull();
    fireEvent.click(screen.getByLabelText('Use SSH tunnel'));
    fireEvent.change(screen.getByLabelText('Bastion host'), { target: { value: 'bastion' } });
    fireEvent.change(screen.getByLabelText('Host'), { target: { value: 'db' } });
    expect(configOf(fieldsOf(schema), values).config).toEqual({
      host: 'db',
      port: 5432,
      security: 'tls',
      auth: false,
      sshTunnel: { host: 'bastion' },
    });
    fireEvent.click(screen.getByLabelText('Use SSH tunnel'));
    expect(configOf(fieldsOf(schema), values).config).toEqual({ host: 'db', port: 5432, security: 'tls', auth: false });
  });
});

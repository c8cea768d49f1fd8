/**
 * Renders a connection URL for messages and logs with the password replaced, or a placeholder when the
 * value does not parse (an unparsable value may still contain a secret, so it is never echoed).
 */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '<unparsable URL>';
  }
  if (url.password !== '') url.password = '***';
  return url.toString();
}

/** Removes every occurrence of the URL's password from a message produced by a driver. */
export function scrubPassword(message: string, raw: string): string {
  let password: string;
  try {
    password = decodeURIComponent(new URL(raw).password);
  } catch {
    return message;
  }
  return password === '' ? message : message.split(password).join('***');
}

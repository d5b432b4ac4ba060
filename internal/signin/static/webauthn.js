// The hosted pages' WebAuthn: a form marked data-webauthn="get" or
// "create" carries the ceremony's options (data-options, WebAuthn's
// options as JSON with base64url bytes); on submit this asks the browser
// for the credential, puts the response into the form's "response" field
// as JSON and posts the form. Without this script the form posts an
// empty response and the server says what to do.
(() => {
  'use strict';
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const bytes = (s) => {
    let t = s.replace(/-/g, '+').replace(/_/g, '/');
    while (t.length % 4) t += '=';
    return Uint8Array.from(atob(t), (c) => c.charCodeAt(0));
  };
  const descriptors = (list) => (list || []).map((c) => ({ ...c, id: bytes(c.id) }));
  const creation = (o) => ({ ...o, challenge: bytes(o.challenge), user: { ...o.user, id: bytes(o.user.id) },
    excludeCredentials: descriptors(o.excludeCredentials) });
  const request = (o) => ({ ...o, challenge: bytes(o.challenge), allowCredentials: descriptors(o.allowCredentials) });
  const encode = (c) => {
    const r = c.response;
    const out = { id: c.id, rawId: b64(c.rawId), type: c.type, clientExtensionResults: c.getClientExtensionResults(),
      response: { clientDataJSON: b64(r.clientDataJSON) } };
    if (c.authenticatorAttachment) out.authenticatorAttachment = c.authenticatorAttachment;
    if (r.attestationObject) {
      out.response.attestationObject = b64(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = b64(r.authenticatorData);
      out.response.signature = b64(r.signature);
      if (r.userHandle) out.response.userHandle = b64(r.userHandle);
    }
    return JSON.stringify(out);
  };
  for (const form of document.querySelectorAll('form[data-webauthn]')) {
    const error = form.querySelector('[data-webauthn-error]');
    const fail = (text) => { error.textContent = text; error.hidden = false; };
    form.addEventListener('submit', async (ev) => {
      const field = form.elements.namedItem('response');
      if (field.value) return;
      ev.preventDefault();
      error.hidden = true;
      if (!window.PublicKeyCredential || !navigator.credentials) {
        fail(form.dataset.unsupported);
        return;
      }
      try {
        const o = JSON.parse(form.dataset.options).publicKey;
        const c = form.dataset.webauthn === 'create'
          ? await navigator.credentials.create({ publicKey: creation(o) })
          : await navigator.credentials.get({ publicKey: request(o) });
        field.value = encode(c);
        form.submit();
      } catch (e) {
        fail(form.dataset.failed);
      }
    });
  }
})();

#include "rules.h"

#include <string.h>

#define R(id_, name, src, sev, ref, text) [id_] = {name, src, text, sev, ref}

/* The only place in harness/ that spells out citations (tests/check-rules.sh). */
static const struct rule rules[RULE_COUNT] = {
    R(RULE_NONE, "", "", RULE_HARNESS, RULE_NONE, ""),
    /* Streams */
    R(RULE_STR_1, "STR-1", "RFC 6120 §4.7", RULE_MUST, RULE_NONE,
      "the opening header names the wanted domain in 'to', the sender's in 'from', "
      "version 1.0, and carries no id"),
    R(RULE_STR_2, "STR-2", "RFC 6120 §4.7", RULE_MUST, RULE_NONE,
      "the answering header carries the server's domain in 'from', a fresh unguessable id and "
      "the initiator's domain in 'to'"),
    R(RULE_STR_3, "STR-3", "RFC 6120 §4.7.5", RULE_MUST, RULE_NONE,
      "a peer that announces no version gets no features; an unknown major version is refused"),
    R(RULE_STR_4, "STR-4", "RFC 6120 §4.8", RULE_MUST, RULE_NONE,
      "stream and content namespaces are exactly the XMPP ones, otherwise a namespace error"),
    R(RULE_STR_5, "STR-5", "RFC 6120 §4.3.2", RULE_MUST, RULE_NONE,
      "a version-1.0 answering header is followed by a features element"),
    R(RULE_STR_6, "STR-6", "RFC 6120 §4.3.3", RULE_MUST, RULE_NONE,
      "after TLS and after SASL the stream starts over, and the answering side picks a new id"),
    R(RULE_STR_7, "STR-7", "RFC 6120 §4.3.5", RULE_MUST, RULE_NONE,
      "nothing sent before authentication is processed; the receiver closes with "
      "not-authorized"),
    R(RULE_STR_8, "STR-8", "RFC 6120 §4.4", RULE_MUST, RULE_NONE,
      "a stream ends with its closing tag, after which nothing more is sent"),
    R(RULE_STR_9, "STR-9", "RFC 6120 §4.5", RULE_MUST, RULE_NONE,
      "a server-to-server stream carries one direction only; the way back needs its own "
      "connection"),
    R(RULE_STR_10, "STR-10", "RFC 6120 §11, §4.9.3", RULE_MUST, RULE_NONE,
      "only well-formed UTF-8 XML without comments, processing instructions, DTDs or custom "
      "entities"),
    R(RULE_STR_11, "STR-11", "RFC 6120 §4.9", RULE_MUST, RULE_NONE,
      "a stream error is final: the error element, the closing tag, then the connection closes"),
    R(RULE_STR_12, "STR-12", "RFC 6120 §4.9.3", RULE_MUST, RULE_NONE,
      "each stream error uses the defined condition that fits the fault"),
    /* STARTTLS */
    R(RULE_TLS_1, "TLS-1", "RFC 6120 §5.2", RULE_MUST, RULE_NONE,
      "every server implements STARTTLS; a deployment may insist on it"),
    R(RULE_TLS_2, "TLS-2", "RFC 6120 §5.4.1", RULE_MUST, RULE_NONE,
      "a server able to do TLS offers starttls, marked required when it insists on TLS"),
    R(RULE_TLS_3, "TLS-3", "RFC 6120 §5.3.1, §4.9.3.23", RULE_MUST, RULE_NONE,
      "TLS offered as required (or as the only feature) must be negotiated; an initiator "
      "unable to do so gives up with unsupported-feature"),
    R(RULE_TLS_4, "TLS-4", "RFC 6120 §5.3.4", RULE_MUST, RULE_NONE,
      "TLS comes before SASL, since EXTERNAL rests on the TLS certificate"),
    R(RULE_TLS_5, "TLS-5", "RFC 6120 §5.4.2.1", RULE_MUST, RULE_NONE,
      "the answer to starttls is either proceed or failure"),
    R(RULE_TLS_6, "TLS-6", "RFC 6120 §5.4.2.2", RULE_MUST, RULE_NONE,
      "a starttls the server cannot honour (e.g. never offered) gets failure and the stream "
      "closes"),
    R(RULE_TLS_7, "TLS-7", "RFC 6120 §5.4.2.3", RULE_MUST, RULE_NONE,
      "the TLS handshake starts right after proceed, with nothing in between"),
    R(RULE_TLS_8, "TLS-8", "RFC 6120 §5.4.3.2", RULE_MUST, RULE_NONE,
      "a failed TLS handshake ends the TCP connection without a closing stream tag"),
    R(RULE_TLS_9, "TLS-9", "RFC 6120 §5.4.3.3", RULE_MUST, RULE_NONE,
      "after TLS the stream restarts, and the new features no longer offer starttls"),
    R(RULE_TLS_10, "TLS-10", "XEP-0178 §3 step 6", RULE_MUST, RULE_NONE,
      "for EXTERNAL the receiver requests, and the initiator presents, a domain certificate"),
    /* SASL */
    R(RULE_SASL_1, "SASL-1", "RFC 6120 §6.3.1", RULE_MUST, RULE_NONE,
      "SASL is mandatory to negotiate; after success the stream restarts"),
    R(RULE_SASL_2, "SASL-2", "RFC 6120 §6.4.1", RULE_MUST, RULE_NONE,
      "the receiver lists its mechanisms; an empty list means no SASL is usable"),
    R(RULE_SASL_3, "SASL-3", "RFC 6120 §6.3.1; XEP-0220 §2.4", RULE_MAY, RULE_NONE,
      "dialback-only servers skip SASL: how that fits mandatory SASL is left open"),
    R(RULE_SASL_4, "SASL-4", "XEP-0178 §3 step 9", RULE_SHOULD, RULE_NONE,
      "EXTERNAL is offered only when the initiator's certificate proves its 'from' domain"),
    R(RULE_SASL_5, "SASL-5", "RFC 6120 §6.4.2", RULE_MUST, RULE_NONE,
      "auth names the mechanism; EXTERNAL's initial response is '=' or the base64 'from' "
      "domain, and is sent once"),
    R(RULE_SASL_6, "SASL-6", "XEP-0178 §3 step 11", RULE_MUST, RULE_NONE,
      "EXTERNAL succeeds exactly when the certificate proves the stream's 'from'; otherwise "
      "not-authorized"),
    R(RULE_SASL_7, "SASL-7", "RFC 6120 §6.4.5", RULE_SHOULD, RULE_NONE,
      "a SASL failure carries one condition; after a few failed tries the receiver gives up "
      "with policy-violation"),
    R(RULE_SASL_8, "SASL-8", "RFC 6120 §6.4.4", RULE_MUST, RULE_NONE,
      "an abort gets a failure with the aborted condition"),
    R(RULE_SASL_9, "SASL-9", "RFC 6120 §6.4.6", RULE_MUST, RULE_NONE,
      "after success the stream restarts with a new id and features that offer neither TLS nor "
      "SASL"),
    R(RULE_SASL_10, "SASL-10", "RFC 6120 §6.5", RULE_MUST, RULE_NONE,
      "SASL failures use one of the defined conditions"),
    R(RULE_SASL_11, "SASL-11", "RFC 6120 §4.3.6.2, §8.1.2.2", RULE_MUST, RULE_NONE,
      "a SASL-authenticated stream carries stanzas of the authenticated domain only"),
    /* Dialback */
    R(RULE_DB_1, "DB-1", "XEP-0220 §2.4", RULE_MUST, RULE_NONE,
      "dialback support shows as the xmlns:db declaration or the dialback feature"),
    R(RULE_DB_2, "DB-2", "XEP-0220 §2.1.1", RULE_MUST, RULE_NONE,
      "a dialback request is a db:result with 'from', 'to' and the key, one per domain pair"),
    R(RULE_DB_3, "DB-3", "XEP-0220 §2.1.2", RULE_MUST, RULE_NONE,
      "the receiver checks the key with the sender's authoritative server, quoting the stream "
      "id after the last restart"),
    R(RULE_DB_4, "DB-4", "XEP-0220 §2.2.2", RULE_MUST, RULE_NONE,
      "the authoritative server answers a db:verify valid or invalid, from and to swapped, id "
      "copied"),
    R(RULE_DB_5, "DB-5", "XEP-0220 §2.2.1", RULE_MUST, RULE_NONE,
      "the receiver answers the request valid, invalid or error, and closes after a first "
      "invalid"),
    R(RULE_DB_6, "DB-6", "XEP-0220 §2.2.1", RULE_MUST, RULE_NONE,
      "a request for a domain the receiver does not host gets the dialback error "
      "item-not-found, not a stream error"),
    R(RULE_DB_7, "DB-7", "XEP-0220 §2.5", RULE_MUST, RULE_NONE,
      "dialback errors carry a stanza-error condition that says what went wrong"),
    R(RULE_DB_8, "DB-8", "XEP-0185 §2", RULE_MUST, RULE_NONE,
      "the key is an HMAC-SHA256 over receiver, originator and stream id, keyed by the hashed "
      "secret"),
    R(RULE_DB_9, "DB-9", "XEP-0220 §3.1", RULE_MUST, RULE_NONE,
      "a typed db:result or db:verify that answers no request of this stream is ignored"),
    R(RULE_DB_10, "DB-10", "XEP-0220 §2.6", RULE_MUST, RULE_NONE,
      "one stream may carry several domain pairs, each authenticated on its own"),
    R(RULE_DB_11, "DB-11", "XEP-0344 §2.3", RULE_SHOULD, RULE_NONE,
      "dialback runs after TLS and after SASL, for the pairs still unauthenticated"),
    R(RULE_DB_12, "DB-12", "XEP-0344 §2.4; RFC 6120 §5.4.3.2", RULE_MAY, RULE_NONE,
      "a receiver may demand TLS before dialback; a TLS-Required peer never falls back to "
      "plaintext"),
    R(RULE_DB_13, "DB-13", "XEP-0288 §2", RULE_MAY, RULE_NONE,
      "bidirectional streams are offered as a feature and enabled by the initiator"),
    R(RULE_DB_14, "DB-14", "RFC 6120 §4.9.3.24", RULE_MAY, RULE_NONE,
      "a server without dialback has no defined answer to db:result: an error, a close or "
      "silence"),
    /* Finding the partner (DNS) */
    R(RULE_DNS_1, "DNS-1", "RFC 6120 §3.2.1", RULE_MUST, RULE_NONE,
      "an initiator looks up _xmpp-server._tcp SRV records, tries their targets in priority and "
      "weight order, each address in turn; a lone '.' target means no service"),
    R(RULE_DNS_2, "DNS-2", "RFC 6120 §3.2.1", RULE_SHOULD, RULE_NONE,
      "when SRV records exist but none of their targets answers, the initiator does not fall "
      "back to the domain's own A/AAAA records"),
    R(RULE_DNS_3, "DNS-3", "RFC 6120 §3.2.2", RULE_MUST, RULE_NONE,
      "with no SRV answer at all, the initiator connects to the domain's A/AAAA addresses on "
      "port 5269"),
    R(RULE_DNS_4, "DNS-4", "RFC 6120 §3.2.3", RULE_MAY, RULE_NONE,
      "a host and port configured for a domain replace the SRV lookup; the stream still names "
      "the domain"),
    R(RULE_DNS_5, "DNS-5", "RFC 6120 §3.2.4", RULE_MUST, RULE_NONE,
      "each additional domain is found through SRV records of its own"),
    R(RULE_DNS_6, "DNS-6", "XEP-0368 §3", RULE_MUST, RULE_NONE,
      "_xmpps-server targets take TLS from the first byte (SNI the domain, ALPN xmpp-server), "
      "never STARTTLS, and are merged with the _xmpp-server targets by priority"),
    R(RULE_DNS_7, "DNS-7", "RFC 7673 §3", RULE_MAY, RULE_NONE,
      "with DNSSEC-secure SRV answers and usable TLSA records, the SRV target's name is also an "
      "acceptable certificate identity (DANE)"),
    /* Certificates */
    R(RULE_CRT_1, "CRT-1", "RFC 6120 §13.7.2.1", RULE_MUST, RULE_NONE,
      "each side checks the peer's certificate against the domain the stream names: the "
      "initiator against its 'to', the receiver against the initiator's 'from'"),
    R(RULE_CRT_2, "CRT-2", "RFC 6120 §13.7.1.2", RULE_MUST, RULE_NONE,
      "servers understand DNS-IDs and SRV-IDs; a wildcard is only a whole left-most label"),
    R(RULE_CRT_3, "CRT-3", "RFC 6120 §13.7.1.4; RFC 4985", RULE_MUST, RULE_NONE,
      "the identifier forms: DNS-ID, SRV-ID (_xmpp-server.domain), xmppAddr, and the subject "
      "CN"),
    R(RULE_CRT_4, "CRT-4", "RFC 6125 §6.2.1, §6.4", RULE_MUST, RULE_NONE,
      "names come from the configured or stream domain, never from insecure DNS; labels compare "
      "without case, '*' covers one label, the CN only when no other identifier is present"),
    R(RULE_CRT_5, "CRT-5", "RFC 6120 §13.7.2", RULE_MUST, RULE_NONE,
      "the certificate path is fully validated: chain to a trusted CA, validity dates, "
      "revocation"),
    R(RULE_CRT_6, "CRT-6", "XEP-0178 §3 (steps 7a, 9)", RULE_MAY, RULE_NONE,
      "when the certificate does not validate, what follows is local policy: close, or go on "
      "with dialback over TLS"),
    /* The harness's own and finer rules */
    R(RULE_H_SASL_OK, "H-SASL-OK", "XEP-0178; RFC 6120 §6", RULE_MUST, RULE_SASL_6,
      "SASL EXTERNAL authenticated the stream"),
    R(RULE_H_DB_OK, "H-DB-OK", "XEP-0220 §2.1-2.2", RULE_MUST, RULE_DB_5,
      "dialback authenticated the domain pair"),
    R(RULE_H_NO_METHOD, "H-NO-METHOD", "XEP-0178 §3; XEP-0220 §2.4", RULE_MUST, RULE_SASL_3,
      "with no authentication method both sides accept, the stream authenticates nothing"),
    R(RULE_H_HDR_FROM, "H-HDR-FROM", "RFC 6120 §4.7.1", RULE_MUST, RULE_STR_2,
      "a header's 'from' names the sending server's domain"),
    R(RULE_H_HDR_TO, "H-HDR-TO", "RFC 6120 §4.7.2", RULE_MUST, RULE_STR_1,
      "a header's 'to' names the peer's domain"),
    R(RULE_H_HDR_ID, "H-HDR-ID", "RFC 6120 §4.7.3", RULE_MUST, RULE_STR_2,
      "the answering header carries an id, the opening header none"),
    R(RULE_H_HDR_ONCE, "H-HDR-ONCE", "RFC 6120 §4.2", RULE_MUST, RULE_STR_6,
      "a stream header comes once per stream, never in the middle of one"),
    R(RULE_H_EXTERNAL_PRE_TLS, "H-EXTERNAL-PRE-TLS", "RFC 6120 §5.3.4; XEP-0178 §3", RULE_MUST,
      RULE_TLS_4, "EXTERNAL is never offered before TLS, when no certificate exists"),
    R(RULE_H_SASL_PRE_TLS, "H-SASL-PRE-TLS", "RFC 6120 §5.3.4, §6.5.4", RULE_MUST, RULE_TLS_4,
      "SASL on a plaintext stream is refused, never successful"),
    R(RULE_H_CERT_PROOF, "H-CERT-PROOF", "RFC 6120 §13.7.2; RFC 6125 §6", RULE_MUST, RULE_TLS_10,
      "the peer's certificate proves the domain the stream is for"),
    R(RULE_H_CERT_POLICY, "H-CERT-POLICY", "RFC 6120 §13.7.2 (docs/certificate-policy.md)",
      RULE_HARNESS, RULE_TLS_10,
      "with TLS Required, a certificate that proves nothing makes TLS unusable and the harness "
      "closes"),
    R(RULE_H_TLS_RECORD, "H-TLS-RECORD", "RFC 8446 §6", RULE_MUST, RULE_TLS_7,
      "TLS records decrypt and verify; a record error ends the connection"),
    R(RULE_H_DB_UNVERIFIED, "H-DB-UNVERIFIED", "XEP-0220 §2.2", RULE_MUST, RULE_DB_3,
      "a receiver answers valid only after the authoritative server confirmed that very key"),
    R(RULE_H_DB_KEY_INVALID, "H-DB-KEY-INVALID", "XEP-0220 §2.1.1, §2.2.1", RULE_MUST, RULE_DB_8,
      "the key an initiator sends is the one its authoritative server computes"),
    R(RULE_H_DOWNGRADE, "H-DOWNGRADE", "RFC 7590 §3.1; RFC 6120 §5.3.1", RULE_MUST, RULE_TLS_3,
      "a server whose TLS is Required never authenticates, or asks to be authenticated, "
      "without TLS"),
    R(RULE_H_STANZA_ADDR, "H-STANZA-ADDR", "RFC 6120 §8.1.1.2", RULE_MUST, RULE_SASL_11,
      "every server-to-server stanza carries a valid 'to' and 'from'"),
    R(RULE_H_SE_HOST_UNKNOWN, "H-SE-HOST-UNKNOWN", "RFC 6120 §4.9.3.6", RULE_MUST, RULE_STR_12,
      "a stream or stanza for a domain not served here gets host-unknown"),
    R(RULE_H_SE_INVALID_FROM, "H-SE-INVALID-FROM", "RFC 6120 §4.9.3.9", RULE_MUST, RULE_STR_12,
      "a stanza whose 'from' is not authenticated on the stream gets invalid-from"),
    R(RULE_H_SE_INVALID_NAMESPACE, "H-SE-INVALID-NAMESPACE", "RFC 6120 §4.9.3.10", RULE_MUST,
      RULE_STR_12,
      "a stream header outside the streams namespace, or in an unsupported content namespace, "
      "gets invalid-namespace"),
    R(RULE_H_SE_IMPROPER_ADDRESSING, "H-SE-IMPROPER-ADDRESSING", "RFC 6120 §4.9.3.7", RULE_MUST,
      RULE_STR_12,
      "a server-to-server stanza without a 'to' or 'from', or with an empty or invalid one, "
      "gets improper-addressing"),
    R(RULE_H_SE_NOT_WELL_FORMED, "H-SE-NOT-WELL-FORMED", "RFC 6120 §4.9.3.13", RULE_MUST,
      RULE_STR_12, "XML that is not well-formed gets not-well-formed"),
    R(RULE_H_SE_POLICY, "H-SE-POLICY", "RFC 6120 §4.9.3.14", RULE_MUST, RULE_STR_12,
      "a peer exceeding a local limit gets policy-violation"),
    R(RULE_H_SE_UNSUPPORTED_STANZA, "H-SE-UNSUPPORTED-STANZA", "RFC 6120 §4.9.3.24", RULE_MUST,
      RULE_STR_12,
      "a first-level element the server does not support gets "
      "unsupported-stanza-type"),
    R(RULE_H_SE_UNSUPPORTED_VERSION, "H-SE-UNSUPPORTED-VERSION", "RFC 6120 §4.9.3.25", RULE_MUST,
      RULE_STR_12, "a major version the server does not speak gets unsupported-version"),
    R(RULE_H_PING, "H-PING", "RFC 6120 §8.1.2; XEP-0199", RULE_MUST, RULE_NONE,
      "once authenticated, a stanza that needs an answer (a ping) is routed and answered"),
    R(RULE_H_FEATURES_CONFIG, "H-FEATURES-CONFIG", "RFC 6120 §4.3.2, §5.4.1", RULE_MUST, RULE_TLS_2,
      "what the partner advertises or uses agrees with its partner configuration"),
    R(RULE_H_STEP_TIMEOUT, "H-STEP-TIMEOUT", "docs/timeouts.md", RULE_HARNESS, RULE_NONE,
      "every step of a negotiation ends within the step timeout"),
    R(RULE_H_MISBEHAVIOUR, "H-MISBEHAVIOUR", "docs/cli.md (serve --misbehave)", RULE_HARNESS,
      RULE_NONE, "the reference partner broke a rule on purpose"),
    R(RULE_H_INTERNAL, "H-INTERNAL", "internal", RULE_HARNESS, RULE_NONE,
      "the harness itself failed (memory, buffers, randomness)"),
    R(RULE_H_CONNECT, "H-CONNECT", "RFC 6120 §3.2", RULE_HARNESS, RULE_NONE,
      "the partner's server is reachable at the address its DNS records give"),
    R(RULE_H_NO_STREAM, "H-NO-STREAM", "design.md §2", RULE_HARNESS, RULE_NONE,
      "the stream the scenario waits for comes within the scenario's time"),
    R(RULE_H_HARNESS_SHORT, "H-HARNESS-SHORT", "design.md §7", RULE_HARNESS, RULE_NONE,
      "the harness had the connections, descriptors and memory the scenario needed"),
    R(RULE_H_CERT_ID_TYPES, "H-CERT-ID-TYPES", "RFC 6120 §13.7.1.2", RULE_MUST, RULE_TLS_10,
      "a server takes DNS-IDs and SRV-IDs as identities; a wildcard only as a whole left-most "
      "label"),
    R(RULE_H_CERT_SRV_ID, "H-CERT-SRV-ID", "RFC 4985; RFC 6125 §6.5.1", RULE_MUST, RULE_TLS_10,
      "an SRV-ID proves a domain only for the _xmpp-server service"),
    R(RULE_H_CERT_XMPPADDR, "H-CERT-XMPPADDR", "RFC 6120 §13.7.1.4", RULE_SHOULD, RULE_TLS_10,
      "an XmppAddr identity is still honoured, for older certificates"),
    R(RULE_H_CERT_CN, "H-CERT-CN", "RFC 6125 §6.4.4", RULE_MUST, RULE_TLS_10,
      "the subject CN counts only when the certificate has no subjectAltName identity"),
    R(RULE_H_CERT_WILDCARD, "H-CERT-WILDCARD", "RFC 6125 §6.4.3", RULE_MUST, RULE_TLS_10,
      "a wildcard stands for exactly one left-most label"),
    R(RULE_H_CERT_REFERENCE, "H-CERT-REFERENCE", "RFC 6120 §13.7.2.1", RULE_MUST, RULE_TLS_10,
      "a certificate is checked against the stream's domain, never the SRV target host"),
    R(RULE_H_CERT_PATH, "H-CERT-PATH", "RFC 5280 §6.1", RULE_MUST, RULE_TLS_10,
      "a certificate chains to a trusted root"),
    R(RULE_H_CERT_VALIDITY, "H-CERT-VALIDITY", "RFC 5280 §6.1.3", RULE_MUST, RULE_TLS_10,
      "a certificate is used only inside its validity period"),
    R(RULE_H_CERT_EKU, "H-CERT-EKU", "RFC 5280 §4.2.1.12", RULE_MUST, RULE_TLS_10,
      "an extended key usage, when present, allows the role the certificate is used in"),
    R(RULE_H_KEEPALIVE, "H-KEEPALIVE", "RFC 6120 §4.6.1", RULE_MUST, RULE_STR_10,
      "whitespace between stanzas is a keepalive and harmless"),
    R(RULE_H_OUTCOME, "H-OUTCOME", "docs/observables.md", RULE_MUST, RULE_NONE,
      "a partner ends each negotiation with the outcome (S, Dt, Dp, F0-F4) its configuration "
      "implies against the harness's settings"),
    R(RULE_H_STRICT, "H-STRICT", "docs/scenarios.md (semantics)", RULE_MUST, RULE_NONE,
      "under strict semantics an Optional setting does not imply dialback, and outcomes follow"),
    R(RULE_H_DOMAINS, "H-DOMAINS", "docs/partner-format.md", RULE_MUST, RULE_DB_10,
      "the partner's additional domains negotiate as its primary domain does"),
    R(RULE_H_XML_RESTRICTED, "H-XML-RESTRICTED", "RFC 6120 §11.1", RULE_MUST, RULE_STR_10,
      "no comments, processing instructions, DTDs or entity references beyond the five "
      "predefined ones"),
    R(RULE_H_XML_WELLFORMED, "H-XML-WELLFORMED", "RFC 6120 §11.3", RULE_MUST, RULE_STR_10,
      "the stream is well-formed XML, its declaration included"),
    R(RULE_H_XML_UTF8, "H-XML-UTF8", "RFC 6120 §11.6", RULE_MUST, RULE_STR_10,
      "the stream is UTF-8, with no byte-order mark and no other declared encoding"),
    R(RULE_H_XML_NS_PREFIX, "H-XML-NS-PREFIX", "RFC 6120 §4.9.3.2", RULE_MUST, RULE_STR_4,
      "every namespace prefix the stream uses is declared"),
    R(RULE_H_XML_STREAM_NS, "H-XML-STREAM-NS", "RFC 6120 §4.8.1", RULE_MUST, RULE_STR_4,
      "the stream header is the element stream in the streams namespace"),
    R(RULE_H_XML_CONTENT_NS, "H-XML-CONTENT-NS", "RFC 6120 §4.8.2", RULE_MUST, RULE_STR_4,
      "first-level elements stay in the content namespace the stream was opened with"),
    R(RULE_H_XML_BETWEEN, "H-XML-BETWEEN", "RFC 6120 §11.7", RULE_MUST, RULE_STR_10,
      "between first-level elements there is whitespace only, no text or CDATA"),
    R(RULE_H_DNS_SRV, "H-DNS-SRV", "RFC 6120 §3.2.1", RULE_HARNESS, RULE_DNS_1,
      "a server is found through the _xmpp-server SRV records of its domain; a lone '.' "
      "target means it offers no server-to-server service"),
    R(RULE_H_DNS_FALLBACK, "H-DNS-FALLBACK", "RFC 6120 §3.2.2", RULE_HARNESS, RULE_DNS_3,
      "without any SRV answer, the domain's own A/AAAA records on port 5269 are used"),
    R(RULE_H_DNS_CONFIGURED, "H-DNS-CONFIGURED", "RFC 6120 §3.2.3", RULE_HARNESS, RULE_DNS_4,
      "a host and port configured for a domain replace its SRV records"),
    R(RULE_H_DNS_XMPPS, "H-DNS-XMPPS", "XEP-0368 §3", RULE_HARNESS, RULE_DNS_6,
      "_xmpps-server SRV records name direct-TLS ports; a lone '.' target there allows no "
      "A/AAAA fallback"),
};

const struct rule *rule_get(enum rule_id id)
{
        if ((int)id < 0 || id >= RULE_COUNT)
                return &rules[RULE_NONE];
        return &rules[id];
}

const char *rule_name(enum rule_id id)
{
        return rule_get(id)->id;
}

const char *rule_cite(enum rule_id id)
{
        return rule_get(id)->source;
}

enum rule_id rule_by_name(const char *name)
{
        if (name == NULL || name[0] == '\0')
                return RULE_NONE;
        for (int i = 1; i < RULE_COUNT; i++)
                if (strcmp(rules[i].id, name) == 0)
                        return (enum rule_id)i;
        return RULE_NONE;
}

const char *rule_severity_name(enum rule_severity s)
{
        static const char *const names[] = {"MUST", "SHOULD", "MAY", "harness"};

        return (unsigned)s < 4 ? names[s] : "?";
}

int rule_is_reference(enum rule_id id)
{
        return id >= RULE_STR_1 && id <= RULE_CRT_6;
}

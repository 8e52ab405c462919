/* A certificate as a Bambu Lab printer's camera has one: CN = the serial,
 * no subjectAltName, an EC key, signed by a test CA. */
#ifndef PH_TEST_PRINTER_CERT_H
#define PH_TEST_PRINTER_CERT_H

/* Writes DIR/camera.pem and DIR/camera.key for serial, signed by the CA
 * ca_pem with its key ca_key (all transfer none); fails the test when
 * openssl does. */
void ph_test_printer_certificate (const char *dir, const char *serial, const char *ca_pem,
                                  const char *ca_key);

#endif

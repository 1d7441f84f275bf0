"""HTTP side of the Zoho emulator (moto's ``responses``): parse requests, call the backend, shape JSON."""

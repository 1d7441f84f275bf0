"""HTTP handlers of the GHL emulator, one module per API family (moto's ``responses``)."""

package dev.caravan.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication(
    scanBasePackages = {"dev.caravan.app", "dev.caravan.api", "dev.caravan.dashboard"})
public class CaravanApplication {
  public static void main(String[] args) {
    SpringApplication.run(CaravanApplication.class, args);
  }
}

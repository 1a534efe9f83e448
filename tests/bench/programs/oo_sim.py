"""Object-oriented simulation: particles with a small Vector class, bouncing in a box."""
import sys


class Vec:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __add__(self, other):
        return Vec(self.x + other.x, self.y + other.y)

    def scale(self, k):
        return Vec(self.x * k, self.y * k)

    def dot(self, other):
        return self.x * other.x + self.y * other.y


class Particle:
    def __init__(self, i):
        self.pos = Vec((i * 37 % 100) / 10.0, (i * 61 % 100) / 10.0)
        self.vel = Vec(((i * 13) % 7 - 3) / 10.0, ((i * 29) % 5 - 2) / 10.0)
        self.hits = 0

    def step(self, dt, world):
        self.pos = self.pos + self.vel.scale(dt)
        world.bounce(self)

    def energy(self):
        return 0.5 * self.vel.dot(self.vel)


class World:
    def __init__(self, n, size=10.0):
        self.size = size
        self.particles = [Particle(i) for i in range(n)]

    def bounce(self, p):
        if p.pos.x < 0 or p.pos.x > self.size:
            p.vel = Vec(-p.vel.x, p.vel.y)
            p.hits += 1
        if p.pos.y < 0 or p.pos.y > self.size:
            p.vel = Vec(p.vel.x, -p.vel.y)
            p.hits += 1

    def tick(self, dt):
        for p in self.particles:
            p.step(dt, self)

    def total_energy(self):
        return sum(p.energy() for p in self.particles)


def main(scale):
    w = World(200)
    for _ in range(int(35 * scale)):
        w.tick(0.5)
    print("energy %.6f hits %d" % (w.total_energy(), sum(p.hits for p in w.particles)))


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)

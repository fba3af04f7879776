// Package platform is Tack's open platform: DingTalk-compatible custom
// robots (incoming webhooks into a group), apps with client credentials and
// scoped access tokens, signed event callbacks delivered durably with
// retries, and the module switchboard with which an organisation turns
// capabilities on or off.
//
// The package holds the rules. Stores keep rows (Store), other services
// are reached through small interfaces (Groups, Orgs, Bots, Poster,
// Sender), and the HTTP edges live in api/ and node/.
package platform

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/limit"
)

// EModuleOff is the error code of a request to a capability its
// organisation switched off.
const EModuleOff = "module_off"

// Groups tells the platform about conversations.
type Groups interface {
	// Role returns the kind of convID ("direct", "group", ...) and userID's
	// role in it ("owner", "admin", "member"); an error wrapping
	// tack.ErrNotFound when userID is not a member or convID does not exist.
	Role(ctx context.Context, convID, userID tack.ID) (kind, role string, err error)
	// Owner returns the owner of group convID ("" when it has none); an
	// error wrapping tack.ErrNotFound when convID does not exist.
	Owner(ctx context.Context, convID tack.ID) (tack.ID, error)
}

// Poster posts robot and app messages into conversations, through the
// chat service's committer. It checks no permission: the platform did.
type Poster interface {
	// PostRobot posts p into convID from the bot user from; mentions not
	// in the conversation are dropped.
	PostRobot(ctx context.Context, convID, from tack.ID, p Post) error
}

// Bots makes the user account a robot or an app speaks as.
type Bots interface {
	// Bot returns the bot user with key, making it with name if needed.
	Bot(ctx context.Context, key, name string) (tack.ID, error)
}

// Orgs tells the platform who belongs to an organisation.
type Orgs interface {
	// OrgRole returns userID's role in orgID ("owner", "admin", "subadmin",
	// "member"); an error wrapping tack.ErrNotFound when userID is not an
	// active member.
	OrgRole(ctx context.Context, orgID, userID tack.ID) (string, error)
	// OrgGroups lists the conversation IDs of orgID's organisation groups
	// (the all-staff group, department groups).
	OrgGroups(ctx context.Context, orgID tack.ID) ([]tack.ID, error)
	// OrgsOf lists the organisations userID is an active member of.
	OrgsOf(ctx context.Context, userID tack.ID) ([]tack.ID, error)
}

// Config tunes a Service. The zero value is the production default.
type Config struct {
	// RobotLimit limits the messages of each robot: default 20 a minute,
	// as DingTalk does.
	RobotLimit *limit.Keyed
	// AppLimit limits the API calls of each app: default 50/s, bursts of 200.
	AppLimit *limit.Keyed
	// TokenTTL is how long an app access token lives: default 2 hours.
	TokenTTL time.Duration
	// SignWindow is how far a robot request's timestamp may be from now:
	// default 1 hour (DingTalk's).
	SignWindow time.Duration
	// Retry is the delivery retry policy; zero fields take defaults.
	Retry Retry
	// Phones finds the users whose login is one of phones (mentions by
	// phone number); nil ignores them.
	Phones interface {
		UsersByPhone(ctx context.Context, phones []string) ([]tack.ID, error)
	}
	// Outgoing makes outgoing robots' calls; nil: outgoing robots are off.
	Outgoing OutgoingCaller
	// BaseURL prefixes the session webhooks given to outgoing robots
	// ("https://tack.example"); empty: they are paths.
	BaseURL string
	Logger  *slog.Logger
}

// Service holds the platform's rules. It is safe for concurrent use.
type Service struct {
	store  Store
	groups Groups
	orgs   Orgs
	bots   Bots
	poster Poster
	clock  tack.Clock
	cfg    Config
	log    *slog.Logger

	robots robotCache
	mods   sync.Map     // organisation ID → modulesEntry
	modsN  atomic.Int64 // entries in mods (about: cleared at modulesCacheMax)
	// modsReading holds the organisations whose modulesEntry one caller
	// is reading again.
	modsReading sync.Map
	subs        sync.Map // event → subsEntry
	govern      sync.Map // conversation → governEntry
	// governing1 holds the conversations whose governEntry one caller is
	// refreshing.
	governing1 sync.Map
	calls      chan struct{} // outgoing robot calls in flight

	outMu sync.Mutex
	outAt time.Time
	out   map[tack.ID][]Robot // conversation → its robots with an outgoing URL

	groupsMu  sync.Mutex
	groupsAt  time.Time           // when groupOrg was filled; zero: stale
	groupOrg  map[tack.ID]tack.ID // organisation group → its organisation, for orgs with message subscribers
	events    chan messageEvent
	eventsEnd chan struct{}
	evMu      sync.RWMutex
	evClosed  bool
	// Message events dropped (queue full), and the count last logged and
	// when (unix seconds).
	dropped, dropReported, dropLogged atomic.Int64
}

// NewService returns a Service.
func NewService(store Store, groups Groups, orgs Orgs, bots Bots, poster Poster, clock tack.Clock, cfg Config) *Service {
	if cfg.RobotLimit == nil {
		cfg.RobotLimit = &limit.Keyed{Rate: 20.0 / 60, Burst: 20}
	}
	if cfg.AppLimit == nil {
		cfg.AppLimit = &limit.Keyed{Rate: 50, Burst: 200}
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 2 * time.Hour
	}
	if cfg.SignWindow <= 0 {
		cfg.SignWindow = time.Hour
	}
	cfg.Retry = cfg.Retry.withDefaults()
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Service{store: store, groups: groups, orgs: orgs, bots: bots, poster: poster, clock: clock, cfg: cfg, log: cfg.Logger,
		events: make(chan messageEvent, 4096), eventsEnd: make(chan struct{}), calls: make(chan struct{}, 32)}
	go s.eventLoop()
	return s
}

// Close stops the Service's event loop after it queued what it was given.
func (s *Service) Close() {
	s.evMu.Lock()
	if !s.evClosed {
		s.evClosed = true
		close(s.events)
	}
	s.evMu.Unlock()
	<-s.eventsEnd
	for i := 0; i < cap(s.calls); i++ { // wait for outgoing robot calls in flight
		s.calls <- struct{}{}
	}
}

// Store keeps the platform's rows. It checks nothing: the Service does.
// Errors: an error wrapping tack.ErrNotFound for a missing row; a
// tack.EConflict error for a duplicate key. Every method is atomic.
type Store interface {
	RobotStore
	AppStore
	DeliveryStore
	ModuleStore
}

func callerID(ctx context.Context) (tack.ID, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return "", tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	return uid, nil
}

package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 stores objects in a bucket of an S3-compatible service (AWS S3, MinIO,
// Ceph, R2, ...). S3 itself makes Put atomic: an object appears whole when
// its upload completes.
type S3 struct {
	c      *minio.Client
	bucket string
	prefix string
}

// ParseS3 parses https://KEY:SECRET@host[:port]/bucket[/prefix] (http://
// for a local test server) into a client. The bucket must exist unless
// create is true.
func ParseS3(ctx context.Context, raw string, create bool) (*S3, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("s3: want https://KEY:SECRET@host/bucket")
	}
	parts := strings.SplitN(strings.Trim(u.Path, "/"), "/", 2)
	if parts[0] == "" {
		return nil, fmt.Errorf("s3: the URL names no bucket")
	}
	key := u.User.Username()
	secret, _ := u.User.Password()
	c, err := minio.New(u.Host, &minio.Options{
		Creds:  credentials.NewStaticV4(key, secret, ""),
		Secure: u.Scheme == "https",
		Region: u.Query().Get("region"),
	})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	s := &S3{c: c, bucket: parts[0]}
	if len(parts) == 2 {
		s.prefix = strings.Trim(parts[1], "/") + "/"
	}
	ok, err := c.BucketExists(ctx, s.bucket)
	if err != nil {
		return nil, fmt.Errorf("s3: bucket %s: %w", s.bucket, err)
	}
	if !ok {
		if !create {
			return nil, fmt.Errorf("s3: no bucket %s", s.bucket)
		}
		if err := c.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{}); err != nil {
			return nil, fmt.Errorf("s3: make bucket %s: %w", s.bucket, err)
		}
	}
	return s, nil
}

// Put implements Store.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := checkKey(key); err != nil {
		return err
	}
	_, err := s.c.PutObject(ctx, s.bucket, s.prefix+key, r, size, minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return fmt.Errorf("s3 put: %w", err)
	}
	return nil
}

type s3Object struct {
	*minio.Object
	size int64
}

func (o s3Object) Size() int64 { return o.size }

// Open implements Store.
func (s *S3) Open(ctx context.Context, key string) (Object, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	o, err := s.c.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("s3 open: %w", err)
	}
	st, err := o.Stat()
	if err != nil {
		o.Close()
		var er minio.ErrorResponse
		if errors.As(err, &er) && (er.Code == "NoSuchKey" || er.StatusCode == 404) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("s3 open: %w", err)
	}
	return s3Object{o, st.Size}, nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := s.c.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{}); err != nil {
		var er minio.ErrorResponse
		if errors.As(err, &er) && er.Code == "NoSuchKey" {
			return nil
		}
		return fmt.Errorf("s3 delete: %w", err)
	}
	return nil
}
